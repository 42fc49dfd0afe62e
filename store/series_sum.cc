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

void AddFigures(const Figures& f, Acc& a) {
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

  // The group of a series (of the origin, per node): the one of the row
  // before if the same.
  size_t GroupOf(const std::string& name, uint64_t origin) {
    if (!per_node) origin = 0;
    if (last == SIZE_MAX || groups[last].name != name || groups[last].origin != origin) last = Find(name, origin);
    return last;
  }

  void AddTo(size_t group, int64_t bucket_ms, const Figures& f) {
    Group& g = groups[group];
    Acc& a = g.buckets[bucket_ms];
    if (a.p.nodes == 0) {
      a.p.series = g.name;
      a.p.origin = g.origin;
      a.p.time_ms = bucket_ms;
    }
    AddFigures(f, a);
  }

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
  s_->AddTo(s_->GroupOf(row.name, row.origin.value), row.bucket_ms, row.figures);
}

void SeriesSums::AddSeries(NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets) {
  rows_ += buckets.size();
  if (buckets.empty()) return;
  const size_t g = s_->GroupOf(name, origin.value);
  for (const SeriesBucket& b : buckets) {
    if (b.figures.samples != 0) s_->AddTo(g, b.bucket_ms, b.figures);
  }
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
