#include "store/resolution.h"

#include <algorithm>

namespace shoal::store {

Resolution ChooseResolution(int64_t from_ms, int64_t to_ms, int64_t now_ms, int64_t step_ms,
                            const std::array<int64_t, kLevels>& retention_ms) {
  static constexpr int64_t kSteps[] = {1'000,     10'000,     60'000,      300'000,
                                       900'000,   3'600'000,  21'600'000,  86'400'000};
  Resolution r;
  const int64_t period = std::max<int64_t>(1, to_ms - from_ms);
  if (step_ms > 0) {
    r.step_ms = step_ms;
  } else {
    r.step_ms = kSteps[std::size(kSteps) - 1];
    for (int64_t s : kSteps) {
      if ((period + s - 1) / s <= kMaxPoints) {
        r.step_ms = s;
        break;
      }
    }
    // Longer than kMaxPoints days: whole days still.
    while ((period + r.step_ms - 1) / r.step_ms > kMaxPoints) r.step_ms *= 2;
  }
  r.level = r.step_ms >= LevelSpanMs(Level::kHour)     ? Level::kHour
            : r.step_ms >= LevelSpanMs(Level::kMinute) ? Level::kMinute
                                                       : Level::kRaw;
  // A finer level that has expired for the period's start gives way.
  while (r.level != Level::kHour && from_ms < now_ms - retention_ms[static_cast<int>(r.level)]) {
    r.level = static_cast<Level>(static_cast<int>(r.level) + 1);
  }
  r.step_ms = std::max(r.step_ms, LevelSpanMs(r.level));
  if (r.step_ms % LevelSpanMs(r.level) != 0) r.step_ms += LevelSpanMs(r.level) - r.step_ms % LevelSpanMs(r.level);
  return r;
}

}  // namespace shoal::store
