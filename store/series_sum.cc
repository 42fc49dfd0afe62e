#include "store/series_sum.h"

#include <tuple>

#include "store/figures.h"

namespace shoal::store {

std::vector<SeriesPoint> SumSeries(const QueryAnswer& answer, bool per_node) {
  struct Acc {
    SeriesPoint p;
    uint64_t squeezed = 0, idle = 0;
  };
  std::map<std::tuple<std::string, uint64_t, int64_t>, Acc> acc;
  for (const SeriesRow& row : answer.rows) {
    const Figures& f = row.figures;
    if (f.samples == 0) continue;
    const uint64_t origin = per_node ? row.origin.value : 0;
    Acc& a = acc[{row.name, origin, row.bucket_ms}];
    a.p.series = row.name;
    a.p.origin = origin;
    a.p.time_ms = row.bucket_ms;
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
  std::vector<SeriesPoint> out;
  out.reserve(acc.size());
  for (auto& [key, a] : acc) {
    a.p.squeezed = static_cast<double>(a.squeezed) / a.p.samples;
    a.p.idle = static_cast<double>(a.idle) / a.p.samples;
    out.push_back(std::move(a.p));
  }
  return out;
}

}  // namespace shoal::store
