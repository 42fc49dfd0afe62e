// Version numbers drawn from the engine's clock: the clock's nanoseconds,
// and at least one past the last, so that they always grow within a
// process and a process restarted on the same boot numbers after its
// earlier versions (the steady clock does not go back until the machine
// reboots; receivers cope with that). Pure function.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace shoal {

inline uint64_t ClockVersion(uint64_t last, TimePoint now) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  return std::max(last + 1, static_cast<uint64_t>(std::max<int64_t>(ns, 0)));
}

}  // namespace shoal
