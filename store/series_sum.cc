#include "store/series_sum.h"

#include <algorithm>
#include <cstdint>
#include <deque>
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

void AddRow(const SeriesRow& row, Acc& a) {
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
  std::string name;
  uint64_t origin;
  std::unordered_map<int64_t, Acc> buckets;
};

}  // namespace

struct SeriesSums::State {
  bool per_node = false;
  std::deque<Group> groups;  // stable: by_name views their names
  std::unordered_map<std::string_view, std::vector<size_t>> by_name;  // name -> its groups
  size_t last = SIZE_MAX;  // the group of the row before

  size_t Find(const std::string& name, uint64_t origin) {
    if (auto it = by_name.find(name); it != by_name.end()) {
      for (size_t g : it->second) {
        if (groups[g].origin == origin) return g;
      }
    }
    groups.push_back({name, origin, {}});
    by_name[groups.back().name].push_back(groups.size() - 1);
    return groups.size() - 1;
  }
};

SeriesSums::SeriesSums(bool per_node) : s_(std::make_unique<State>()) { s_->per_node = per_node; }
SeriesSums::SeriesSums(SeriesSums&&) noexcept = default;
SeriesSums& SeriesSums::operator=(SeriesSums&&) noexcept = default;
SeriesSums::~SeriesSums() = default;

void SeriesSums::Add(const SeriesRow& row) {
  ++rows_;
  if (row.figures.samples == 0) return;
  State& s = *s_;
  const uint64_t origin = s.per_node ? row.origin.value : 0;
  if (s.last == SIZE_MAX || s.groups[s.last].name != row.name || s.groups[s.last].origin != origin) {
    s.last = s.Find(row.name, origin);
  }
  Group& g = s.groups[s.last];
  Acc& a = g.buckets[row.bucket_ms];
  if (a.p.nodes == 0) {
    a.p.series = g.name;
    a.p.origin = origin;
    a.p.time_ms = row.bucket_ms;
  }
  AddRow(row, a);
}

std::vector<SeriesPoint> SeriesSums::Take() {
  std::vector<SeriesPoint> out;
  for (Group& g : s_->groups) {
    for (auto& [bucket, a] : g.buckets) {
      a.p.squeezed = static_cast<double>(a.squeezed) / a.p.samples;
      a.p.idle = static_cast<double>(a.idle) / a.p.samples;
      out.push_back(std::move(a.p));
    }
  }
  const bool per_node = s_->per_node;
  s_ = std::make_unique<State>();
  s_->per_node = per_node;
  std::sort(out.begin(), out.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
    return std::tie(a.series, a.origin, a.time_ms) < std::tie(b.series, b.origin, b.time_ms);
  });
  return out;
}

std::vector<SeriesPoint> SumSeries(const QueryAnswer& answer, bool per_node) {
  SeriesSums sums(per_node);
  for (const SeriesRow& row : answer.rows) sums.Add(row);
  return sums.Take();
}

}  // namespace shoal::store
