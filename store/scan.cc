#include "store/scan.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/big_endian.h"
#include "store/figures.h"
#include "store/wire_codec.h"

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
                int64_t from_ms, int64_t to_ms, int64_t step_ms, std::vector<SeriesBucket>& buckets,
                uint64_t* bad) {
  const std::string series = SeriesPrefix(origin, kind, level, name);
  // Every key read starts with `series` (checked): only its time, the
  // 8 bytes after (then an event's sequence number), is left to decode.
  const size_t key_size = series.size() + (kind == SeriesKind::kEvent ? 16 : 8);
  for (it.Seek(SeriesAt(origin, kind, level, name, from_ms)); it.Valid() && it.key().starts_with(series);
       it.Next()) {
    const std::string_view key(it.key().data(), it.key().size());
    const uint64_t t = key.size() == key_size ? GetBigEndian(key, series.size(), 8) : UINT64_MAX;
    if (t > static_cast<uint64_t>(INT64_MAX)) {
      ++*bad;
      continue;
    }
    if (static_cast<int64_t>(t) >= to_ms) break;
    auto f = DecodeFigures(std::string_view(it.value().data(), it.value().size()));
    if (!f) {
      ++*bad;
      continue;
    }
    // Rows come in time order: their bucket is the last one, or a new last.
    const int64_t bucket = BucketOf(static_cast<int64_t>(t), step_ms);
    if (buckets.empty() || buckets.back().bucket_ms != bucket) buckets.push_back({bucket, Figures{}});
    Merge(buckets.back().figures, *f);
  }
}

Result<int64_t> CheckQuery(const SeriesQuery& q) {
  if (q.from_ms < 0 || q.to_ms <= q.from_ms) {
    return MakeError("history query: the period [{}, {}) ms is empty", q.from_ms, q.to_ms);
  }
  const int64_t step = std::max(q.step_ms, LevelSpanMs(q.level));
  if ((q.to_ms - q.from_ms) / step > kMaxBuckets) {
    return MakeError("history query: {} buckets of {} ms (at most {}): choose a larger step",
                     (q.to_ms - q.from_ms) / step, step, kMaxBuckets);
  }
  if (!q.name.empty() && !ValidName(q.name)) return MakeError("history query: a bad name");
  return step;
}

namespace {

// Whether LevelParts reads `part` for `q`: the level asked for and the
// finer ones; five-minute rows too wherever the step is whole five minutes
// (their sums are those of the minute rows they were rolled up from).
bool Reads(const SeriesQuery& q, Level part) {
  const auto rank = [](Level l) { return std::find(kByFineness.begin(), kByFineness.end(), l) - kByFineness.begin(); };
  if (part != Level::kFiveMinutes) return rank(part) <= rank(q.level);
  const int64_t step = std::max(q.step_ms, LevelSpanMs(q.level));
  return q.level != Level::kRaw && step % LevelSpanMs(part) == 0;
}

}  // namespace

std::vector<LevelRange> LevelParts(const SeriesQuery& q, const std::function<int64_t(Level)>& watermark) {
  std::vector<LevelRange> parts;
  int64_t lo = q.from_ms;
  for (auto level = kByFineness.rbegin(); level != kByFineness.rend(); ++level) {
    const Level part = *level;
    if (!Reads(q, part)) continue;
    const int64_t hi = part == Level::kRaw ? q.to_ms : std::min(q.to_ms, watermark(part));
    if (part == Level::kFiveMinutes) {
      // The minutes before the first whole five (rows count by their start).
      const int64_t span = LevelSpanMs(part);
      const int64_t whole = lo % span == 0 ? lo : lo - lo % span + span;
      if (hi <= whole) continue;
      if (whole > lo) parts.push_back({Level::kMinute, lo, whole});
      lo = whole;
    }
    if (hi <= lo) continue;
    parts.push_back({part, lo, hi});
    lo = hi;
  }
  return parts;
}

namespace {

void AnswerEvents(rocksdb::Iterator& it, NodeId origin, const SeriesQuery& q, QueryAnswer& out, uint64_t* bad) {
  auto events = [&](const std::string& name) {
    const std::string series = SeriesPrefix(origin, SeriesKind::kEvent, Level::kRaw, name);
    for (it.Seek(SeriesAt(origin, SeriesKind::kEvent, Level::kRaw, name, q.from_ms));
         it.Valid() && it.key().starts_with(series) && out.events.size() < kMaxEvents; it.Next()) {
      auto key = DecodeKey(std::string_view(it.key().data(), it.key().size()));
      if (!key || key->time_ms >= q.to_ms) break;
      auto event = DecodeEvent(std::string_view(it.value().data(), it.value().size()));
      if (!event) ++*bad;
      EventRow row{origin, key->time_ms, event ? std::move(*event) : EventRecord{}};
      row.event.kind = name;
      out.events.push_back(std::move(row));
    }
  };
  if (q.name.empty()) {
    ForEachSeries(it, origin, SeriesKind::kEvent, Level::kRaw, events);
  } else {
    events(q.name);
  }
}

}  // namespace

Status AnswerOrigin(rocksdb::Iterator& it, NodeId origin, const SeriesQuery& q, int64_t step,
                    const std::vector<LevelRange>& parts, QueryAnswer& out, uint64_t* bad, const TakeSeries& take) {
  const SeriesKind kind = q.kind;
  if (kind == SeriesKind::kEvent) {
    AnswerEvents(it, origin, q, out, bad);
    return Status::Ok();
  }
  std::map<std::string, std::vector<SeriesBucket>> series;
  for (const LevelRange& part : parts) {
    auto scan = [&](const std::string& name) {
      ScanSeries(it, origin, kind, part.level, name, part.from_ms, part.to_ms, step, series[name], bad);
    };
    if (q.name_prefix) {
      ForEachSeries(it, origin, kind, part.level, [&](const std::string& name) {
        if (name == q.name || (name.starts_with(q.name) && name[q.name.size()] == '/')) scan(name);
      });
    } else if (!q.name.empty() || kind == SeriesKind::kNode) {
      scan(kind == SeriesKind::kNode ? "" : q.name);
    } else {
      ForEachSeries(it, origin, kind, part.level, scan);
    }
  }
  if (!take) {
    // Room for them all at once (at least doubling: a query reads origin
    // after origin).
    size_t rows = out.rows.size();
    for (const auto& s : series) rows += s.second.size();
    if (rows > out.rows.capacity()) out.rows.reserve(std::max(rows, 2 * out.rows.capacity()));
  }
  for (auto& [name, buckets] : series) {
    if (buckets.empty()) continue;  // rows at some level, none in the period
    if (take && take(origin, name, buckets)) {
      out.rows_taken += buckets.size();
      continue;
    }
    for (const SeriesBucket& b : buckets) out.rows.push_back({origin, name, b.bucket_ms, b.figures});
  }
  if (out.rows.size() + out.rows_taken > kMaxRows) {
    return MakeError("history query: more than {} rows: choose a larger step or fewer series", kMaxRows);
  }
  return Status::Ok();
}

void SortEvents(std::vector<EventRow>& events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const EventRow& a, const EventRow& b) { return a.time_ms < b.time_ms; });
}

}  // namespace shoal::store
