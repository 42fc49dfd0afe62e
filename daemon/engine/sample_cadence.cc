#include "daemon/engine/sample_cadence.h"

#include <algorithm>

namespace shoal::engine {

SampleCadence::SampleCadence(Duration every, int full_every, Duration settle_max)
    : every_(every), full_every_(std::max(1, full_every)), settle_max_(settle_max) {}

void SampleCadence::Start(TimePoint now, double first_phase) {
  start_ = now;
  next_ = now + std::chrono::duration_cast<Duration>(every_ * (0.5 + first_phase));
}

void SampleCadence::OnDocument(TimePoint now) {
  quick_ = now + every_ / 4;
  regular_ = 1;  // the document's scan was a full one
  since_document_ = 1;
  // A regular sample due before the quick one would measure a window too
  // short to mean anything (a process that runs 20 ms in every 100 may show
  // none): it waits for the quick one's time, and the next keeps the phase.
  quick_regular_ = next_ < *quick_;
  if (quick_regular_) next_ += every_;
}

SampleCadence::Due SampleCadence::Next(TimePoint now) {
  if (now >= next_) {
    // The next one a whole period on at the same phase: after a stall, one
    // sample, not one per period missed nor two in a row.
    next_ += every_ * ((now - next_) / every_ + 1);
    quick_.reset();
    return Regular();
  }
  if (quick_ && now >= *quick_) {
    quick_.reset();
    if (quick_regular_) return Regular();
    Taken();
    return Due::kQuick;
  }
  return Due::kNone;
}

SampleCadence::Due SampleCadence::Regular() {
  quick_regular_ = false;
  full_ = regular_++ % full_every_ == 0;
  Taken();
  return Due::kRegular;
}

void SampleCadence::Taken() {
  if (since_document_ < 0) return;
  measured_ = measured_ || ++since_document_ >= 2;
}

}  // namespace shoal::engine
