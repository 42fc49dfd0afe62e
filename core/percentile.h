// Order statistics for reports and benchmarks. Free functions; thread-safe.
#pragma once

#include <vector>

namespace shoal {

// The p-th percentile (0..100) by the nearest-rank method; 0 when empty.
// Sorts `values` in place.
double Percentile(std::vector<double>& values, double p);

}  // namespace shoal
