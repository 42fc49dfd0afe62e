#include "core/clock.h"

#include <cassert>

namespace shoal {

TimePoint SteadyClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

void ManualClock::Advance(Duration d) {
  assert(d.count() >= 0);
  now_ += d;
}

void ManualClock::Set(TimePoint t) {
  assert(t >= now_);
  now_ = t;
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace shoal
