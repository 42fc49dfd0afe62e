// The resolution of a history answer, chosen from its period: a step that
// gives at most kMaxPoints buckets, and the coarsest stored level no
// coarser than that step, moved up to a coarser level when the finer one
// no longer reaches back to the period's start. Thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "store/keys.h"

namespace shoal::store {

inline constexpr int64_t kMaxPoints = 400;

struct Resolution {
  int64_t step_ms = 0;
  Level level = Level::kRaw;
};

// `step_ms` > 0 asks for that step (raised to the level's span if the
// level it needs has expired for the period).
Resolution ChooseResolution(int64_t from_ms, int64_t to_ms, int64_t now_ms, int64_t step_ms,
                            const std::array<int64_t, kLevels>& retention_ms);

}  // namespace shoal::store
