// Rows of many origins (a pool-wide answer) turned into the points an
// operator reads: per series and bucket, summed over the nodes (or kept per
// node). Averages per node are added, so a bucket's usage is the pool's
// average usage over it; peaks add up to an upper bound of the pool's peak;
// squeezed and idle are fractions of the instances' samples.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/records.h"

namespace shoal::store {

struct SeriesPoint {
  std::string series;  // application or pipe; empty for node figures
  uint64_t origin = 0;  // 0: summed over origins
  int64_t time_ms = 0;
  double usage = 0, usage_peak = 0, demand = 0, demand_peak = 0, booking = 0, allocation = 0, capacity = 0,
         rss_kb = 0;
  double squeezed = 0, idle = 0;  // fractions
  uint32_t samples = 0;
  uint32_t nodes = 0;
};

// The sums taken row by row, as an answer's parts arrive, so that the
// rows need not be held together (a day of 128 nodes' 20 applications is
// 740,000 rows, over 100 MB). Not thread-safe.
class SeriesSums {
 public:
  explicit SeriesSums(bool per_node);
  SeriesSums(SeriesSums&&) noexcept;
  SeriesSums& operator=(SeriesSums&&) noexcept;
  ~SeriesSums();

  void Add(const SeriesRow& row);
  // The buckets of one origin's series, as Add of each row.
  void AddSeries(NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets);
  size_t rows() const { return rows_; }  // added so far (rows without samples included)
  // Sorted by series, origin, time; the sums start afresh.
  std::vector<SeriesPoint> Take();

 private:
  struct State;
  std::unique_ptr<State> s_;
  size_t rows_ = 0;
};

// Sorted by series, origin, time.
std::vector<SeriesPoint> SumSeries(const QueryAnswer& answer, bool per_node);

}  // namespace shoal::store
