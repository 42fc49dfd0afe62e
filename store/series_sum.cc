#include "store/series_sum.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "store/figures.h"

namespace shoal::store {
namespace {

struct Acc {
  SeriesPoint p;
  uint64_t squeezed = 0, idle = 0;
};

void Add(const SeriesRow& row, Acc& a) {
  const Figures& f = row.figures;
  a.p.usage += AvgUsage(f);
  a.p.usage_peak += f.usage_peak;
  a.p.demand += AvgDemand(f);
  a.p.demand_peak += f.demand_peak;
  a.p.booking += AvgBooking(f);
  a.p.allocation += AvgAllocation(f);
  a.p.capacity += AvgCapacity(f);
  a.p.rss_kb += AvgRssKb(f);
  a.p.samples += f.samples;
  a.p.nodes += 1;
  a.squeezed += f.squeezed;
  a.idle += f.idle;
}

// One series (and origin, per node) and its buckets. A pool-wide answer
// holds every origin's rows of a series one after another, so the series
// of the row before is tried first and names are rarely hashed.
struct Group {
  std::string_view name;
  uint64_t origin;
  std::unordered_map<int64_t, Acc> buckets;
};

}  // namespace

std::vector<SeriesPoint> SumSeries(const QueryAnswer& answer, bool per_node) {
  std::vector<Group> groups;
  std::unordered_map<std::string_view, std::vector<size_t>> by_name;  // name -> its groups
  size_t last = SIZE_MAX;  // the group of the row before
  for (const SeriesRow& row : answer.rows) {
    if (row.figures.samples == 0) continue;
    const uint64_t origin = per_node ? row.origin.value : 0;
    if (last == SIZE_MAX || groups[last].name != row.name || groups[last].origin != origin) {
      std::vector<size_t>& named = by_name[row.name];
      auto it = std::find_if(named.begin(), named.end(), [&](size_t g) { return groups[g].origin == origin; });
      if (it != named.end()) {
        last = *it;
      } else {
        last = groups.size();
        named.push_back(last);
        groups.push_back({row.name, origin, {}});
      }
    }
    Acc& a = groups[last].buckets[row.bucket_ms];
    if (a.p.nodes == 0) {
      a.p.series = row.name;
      a.p.origin = origin;
      a.p.time_ms = row.bucket_ms;
    }
    Add(row, a);
  }
  std::vector<SeriesPoint> out;
  for (Group& g : groups) {
    for (auto& [bucket, a] : g.buckets) {
      a.p.squeezed = static_cast<double>(a.squeezed) / a.p.samples;
      a.p.idle = static_cast<double>(a.idle) / a.p.samples;
      out.push_back(std::move(a.p));
    }
  }
  std::sort(out.begin(), out.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
    return std::tie(a.series, a.origin, a.time_ms) < std::tie(b.series, b.origin, b.time_ms);
  });
  return out;
}

}  // namespace shoal::store
