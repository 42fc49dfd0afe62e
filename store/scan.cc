#include "store/scan.h"

#include <algorithm>

#include <fmt/format.h>

#include "store/figures.h"

namespace shoal::store {

void ForEachSeries(rocksdb::Iterator& it, NodeId origin, SeriesKind kind, Level level,
                   const std::function<void(const std::string& name)>& f) {
  const std::string prefix = KindPrefix(origin, kind, level);
  it.Seek(prefix);
  while (it.Valid() && it.key().starts_with(prefix)) {
    const std::string_view key(it.key().data(), it.key().size());
    const size_t nul = key.find('\0', prefix.size());
    if (nul == std::string_view::npos) break;  // not one of ours: stop rather than loop
    const std::string name(key.substr(prefix.size(), nul - prefix.size()));
    f(name);
    it.Seek(PrefixEnd(SeriesPrefix(origin, kind, level, name)));
  }
}

void ScanSeries(rocksdb::Iterator& it, NodeId origin, SeriesKind kind, Level level, const std::string& name,
                int64_t from_ms, int64_t to_ms, int64_t step_ms, std::map<int64_t, wire::Figures>& buckets,
                uint64_t* bad) {
  const std::string series = SeriesPrefix(origin, kind, level, name);
  for (it.Seek(SeriesAt(origin, kind, level, name, from_ms)); it.Valid() && it.key().starts_with(series);
       it.Next()) {
    auto key = DecodeKey(std::string_view(it.key().data(), it.key().size()));
    if (!key) {
      ++*bad;
      continue;
    }
    if (key->time_ms >= to_ms) break;
    wire::Figures f;
    if (!f.ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) {
      ++*bad;
      continue;
    }
    Merge(buckets[BucketOf(key->time_ms, step_ms)], f);
  }
}

Result<int64_t> CheckQuery(const wire::Query& q) {
  if (!ParseKind(static_cast<uint8_t>(q.kind()))) return MakeError("history query: unknown series kind {}", q.kind());
  if (q.level() >= kLevels) return MakeError("history query: unknown level {}", q.level());
  if (q.from_ms() < 0 || q.to_ms() <= q.from_ms()) {
    return MakeError("history query: the period [{}, {}) ms is empty", q.from_ms(), q.to_ms());
  }
  const int64_t step = std::max(q.step_ms(), LevelSpanMs(static_cast<Level>(q.level())));
  if ((q.to_ms() - q.from_ms()) / step > kMaxBuckets) {
    return MakeError("history query: {} buckets of {} ms (at most {}): choose a larger step",
                     (q.to_ms() - q.from_ms()) / step, step, kMaxBuckets);
  }
  if (!q.name().empty() && !ValidName(q.name())) return MakeError("history query: a bad name");
  return step;
}

Status AnswerOrigin(rocksdb::Iterator& it, NodeId origin, const wire::Query& q, int64_t step,
                    const std::vector<LevelRange>& parts, wire::QueryResult& out, uint64_t* bad) {
  const SeriesKind kind = *ParseKind(static_cast<uint8_t>(q.kind()));
  if (kind == SeriesKind::kEvent) {
    auto events = [&](const std::string& name) {
      const std::string series = SeriesPrefix(origin, kind, Level::kRaw, name);
      for (it.Seek(SeriesAt(origin, kind, Level::kRaw, name, q.from_ms()));
           it.Valid() && it.key().starts_with(series) && out.events_size() < kMaxEvents; it.Next()) {
        auto key = DecodeKey(std::string_view(it.key().data(), it.key().size()));
        if (!key || key->time_ms >= q.to_ms()) break;
        auto* e = out.add_events();
        if (!e->mutable_event()->ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) ++*bad;
        e->set_origin(origin.value);
        e->set_time_ms(key->time_ms);
        e->set_kind(name);
      }
    };
    if (q.name().empty()) {
      ForEachSeries(it, origin, kind, Level::kRaw, events);
    } else {
      events(q.name());
    }
    return Status::Ok();
  }
  std::map<std::string, std::map<int64_t, wire::Figures>> series;
  for (const LevelRange& part : parts) {
    auto scan = [&](const std::string& name) {
      ScanSeries(it, origin, kind, part.level, name, part.from_ms, part.to_ms, step, series[name], bad);
    };
    if (q.name_prefix()) {
      ForEachSeries(it, origin, kind, part.level, [&](const std::string& name) {
        if (name == q.name() || (name.starts_with(q.name()) && name[q.name().size()] == '/')) scan(name);
      });
    } else if (!q.name().empty() || kind == SeriesKind::kNode) {
      scan(kind == SeriesKind::kNode ? "" : q.name());
    } else {
      ForEachSeries(it, origin, kind, part.level, scan);
    }
  }
  for (auto& [name, buckets] : series) {
    for (auto& [bucket, figures] : buckets) {
      auto* row = out.add_rows();
      row->set_origin(origin.value);
      row->set_name(name);
      row->set_bucket_ms(bucket);
      *row->mutable_figures() = std::move(figures);
    }
  }
  if (out.rows_size() > kMaxRows) {
    return MakeError("history query: more than {} rows: choose a larger step or fewer series", kMaxRows);
  }
  return Status::Ok();
}

void SortEvents(wire::QueryResult& out) {
  std::stable_sort(out.mutable_events()->begin(), out.mutable_events()->end(),
                   [](const wire::EventRow& a, const wire::EventRow& b) { return a.time_ms() < b.time_ms(); });
}

}  // namespace shoal::store
