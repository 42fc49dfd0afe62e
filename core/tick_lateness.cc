#include "core/tick_lateness.h"

#include <algorithm>

#include <fmt/format.h>

namespace shoal {

std::string TickLateness::Take() {
  std::string out = fmt::format("ticks {}: late p50 {:.1f} / p99 {:.1f} / max {:.1f} ms, busy p50 {:.1f} / p99 {:.1f} ms",
                                late_ms_.count(), late_ms_.Percentile(50), late_ms_.Percentile(99),
                                late_ms_.Percentile(100), busy_ms_.Percentile(50), busy_ms_.Percentile(99));
  *this = TickLateness{};
  return out;
}

}  // namespace shoal
