#include "store/series_columns.h"

#include <algorithm>

#include <fmt/format.h>

namespace shoal::store {
namespace {

wire::SeriesColumns* AddSeries(NodeId origin, const std::string& name,
                               google::protobuf::RepeatedPtrField<wire::SeriesColumns>* out) {
  wire::SeriesColumns* c = out->Add();
  c->set_origin(origin.value);
  c->set_name(name);
  return c;
}

// One bucket at the end of each column; `last_ms` is the bucket before.
void AddBucket(wire::SeriesColumns* c, int64_t bucket_ms, int64_t& last_ms, const Figures& f) {
  // Differences in two's complement: any two times, no overflow.
  c->add_bucket_step_ms(static_cast<int64_t>(static_cast<uint64_t>(bucket_ms) - static_cast<uint64_t>(last_ms)));
  last_ms = bucket_ms;
  c->add_samples(f.samples);
  c->add_usage_sum(f.usage_sum);
  c->add_usage_peak(f.usage_peak);
  c->add_demand_sum(f.demand_sum);
  c->add_demand_peak(f.demand_peak);
  c->add_booking_sum(f.booking_sum);
  c->add_allocation_sum(f.allocation_sum);
  c->add_capacity_sum(f.capacity_sum);
  c->add_rss_kb_sum(f.rss_kb_sum);
  c->add_processes_sum(f.processes_sum);
  c->add_squeezed(f.squeezed);
  c->add_idle(f.idle);
}

// What is wrong with one message's columns, or empty.
std::string CheckColumns(const wire::SeriesColumns& c) {
  const int n = c.bucket_step_ms_size();
  const int sizes[] = {c.samples_size(),      c.usage_sum_size(),     c.usage_peak_size(),
                       c.demand_sum_size(),   c.demand_peak_size(),   c.booking_sum_size(),
                       c.allocation_sum_size(), c.capacity_sum_size(), c.rss_kb_sum_size(),
                       c.processes_sum_size(), c.squeezed_size(),      c.idle_size()};
  if (std::all_of(std::begin(sizes), std::end(sizes), [n](int size) { return size == n; })) return {};
  return fmt::format("series '{}' of origin {:016x}: columns of unequal length ({} buckets)", c.name(), c.origin(), n);
}

// One checked message's buckets into `out` (cleared first).
void ReadColumns(const wire::SeriesColumns& c, std::vector<SeriesBucket>& out) {
  out.clear();
  uint64_t at = 0;
  for (int i = 0; i < c.bucket_step_ms_size(); ++i) {
    at += static_cast<uint64_t>(c.bucket_step_ms(i));
    out.push_back({static_cast<int64_t>(at), Figures{.samples = c.samples(i),
                                                     .usage_sum = c.usage_sum(i),
                                                     .usage_peak = c.usage_peak(i),
                                                     .demand_sum = c.demand_sum(i),
                                                     .demand_peak = c.demand_peak(i),
                                                     .booking_sum = c.booking_sum(i),
                                                     .allocation_sum = c.allocation_sum(i),
                                                     .capacity_sum = c.capacity_sum(i),
                                                     .rss_kb_sum = c.rss_kb_sum(i),
                                                     .processes_sum = c.processes_sum(i),
                                                     .squeezed = c.squeezed(i),
                                                     .idle = c.idle(i)}});
  }
}

}  // namespace

void SeriesToColumns(const std::vector<SeriesRow>& rows,
                     google::protobuf::RepeatedPtrField<wire::SeriesColumns>* out) {
  wire::SeriesColumns* c = nullptr;
  int64_t last_ms = 0;
  for (const SeriesRow& r : rows) {
    if (!c || c->origin() != r.origin.value || c->name() != r.name) {
      c = AddSeries(r.origin, r.name, out);
      last_ms = 0;
    }
    AddBucket(c, r.bucket_ms, last_ms, r.figures);
  }
}

std::string SeriesFromColumns(const wire::QueryResult& w, const TakeSeries& take, std::vector<SeriesRow>& rows) {
  size_t total = rows.size();
  for (const wire::SeriesColumns& c : w.series()) {
    if (auto bad = CheckColumns(c); !bad.empty()) return bad;
    total += static_cast<size_t>(c.bucket_step_ms_size());
  }
  if (total > kMaxRows) return fmt::format("over {} rows", kMaxRows);
  if (!take) rows.reserve(total);
  std::vector<SeriesBucket> buckets;
  for (const wire::SeriesColumns& c : w.series()) {
    ReadColumns(c, buckets);
    const NodeId origin{c.origin()};
    if (take && take(origin, c.name(), buckets)) continue;
    for (const SeriesBucket& b : buckets) rows.push_back({origin, c.name(), b.bucket_ms, b.figures});
  }
  return {};
}

void AppendColumns(NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets,
                   google::protobuf::RepeatedPtrField<wire::SeriesColumns>* out) {
  wire::SeriesColumns* c = AddSeries(origin, name, out);
  // Each column at its size at once: no column grown and copied.
  const int n = static_cast<int>(buckets.size());
  auto reserve = [n](auto*... column) { (column->Reserve(n), ...); };
  reserve(c->mutable_samples(), c->mutable_usage_peak(), c->mutable_demand_peak(), c->mutable_squeezed(),
          c->mutable_idle(), c->mutable_usage_sum(), c->mutable_demand_sum(), c->mutable_booking_sum(),
          c->mutable_allocation_sum(), c->mutable_capacity_sum(), c->mutable_rss_kb_sum(), c->mutable_processes_sum(),
          c->mutable_bucket_step_ms());
  int64_t last_ms = 0;
  for (const SeriesBucket& b : buckets) AddBucket(c, b.bucket_ms, last_ms, b.figures);
}

}  // namespace shoal::store
