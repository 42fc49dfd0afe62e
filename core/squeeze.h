// When an application's figures count as squeezed or idle: one rule for
// what history records each sample (store/figures.h) and what a replay of
// it finds (policy/replay.h), so the two compare. Free functions; thread-safe.
#pragma once

#include <algorithm>

namespace shoal {

// Wanted more than allocated, by more than 5% and 10 units (millicores or
// bytes per second), so that rounding and sampling noise do not count.
inline bool IsSqueezed(double demand, double usage, double allocation) {
  const double wanted = std::max(demand, usage);
  return wanted > allocation * 1.05 && wanted - allocation > 10;
}

// Used under 5% of its booking, or under 10 units without one.
inline bool IsIdle(double usage, double booking) { return booking > 0 ? usage < booking * 0.05 : usage < 10; }

}  // namespace shoal
