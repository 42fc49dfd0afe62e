#include "core/percentile.h"

#include <algorithm>
#include <cmath>

namespace shoal {

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

double Histogram::Percentile(double p) const {
  if (n_ == 0) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(n_));
  const uint64_t want = rank < 1 ? 1 : static_cast<uint64_t>(rank);
  uint64_t seen = 0;
  for (const auto& [tenths, count] : counts_) {
    seen += count;
    if (seen >= want) return static_cast<double>(tenths) / 10;
  }
  return static_cast<double>(counts_.rbegin()->first) / 10;
}

}  // namespace shoal
