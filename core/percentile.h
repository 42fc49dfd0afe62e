// Order statistics for reports and benchmarks. Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace shoal {

// The p-th percentile (0..100) by the nearest-rank method; 0 when empty.
// Sorts `values` in place.
double Percentile(std::vector<double>& values, double p);

// Many samples in bounded memory: counts per value rounded to 0.1, so its
// size grows with the spread of the values, not their number. Percentile
// as above, of the rounded values.
class Histogram {
 public:
  void Add(double value) { ++counts_[static_cast<int64_t>(value * 10 + (value < 0 ? -0.5 : 0.5))]; ++n_; }
  uint64_t count() const { return n_; }
  double Percentile(double p) const;

 private:
  std::map<int64_t, uint64_t> counts_;  // tenths -> samples
  uint64_t n_ = 0;
};

}  // namespace shoal
