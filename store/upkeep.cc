// HistoryStore's upkeep: roll-ups, retention, the log's trim, and deletion
// on an operator's request.
#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/big_endian.h"
#include "store/history_store.h"
#include "store/scan.h"
#include "store/wire_codec.h"

namespace shoal::store {
namespace {

constexpr SeriesKind kFigureKinds[] = {SeriesKind::kApp, SeriesKind::kNode, SeriesKind::kPipe};
// Buckets of one level one origin's roll-up writes in one pass (Maintain).
constexpr int64_t kMaxRollUpBuckets = 1'440;

std::unique_ptr<rocksdb::Iterator> Iter(rocksdb::DB& db) {
  rocksdb::ReadOptions r;
  r.fill_cache = false;
  return std::unique_ptr<rocksdb::Iterator>(db.NewIterator(r));
}

}  // namespace

Status HistoryStore::Maintain(int64_t now_ms) {
  std::vector<std::pair<NodeId, HeldState>> held;
  for (NodeId origin : HeldOrigins()) {
    if (auto state = HeldOf(origin)) held.emplace_back(origin, std::move(*state));
  }
  for (auto& [origin, state] : held) {
    for (Level to : {Level::kMinute, Level::kFiveMinutes, Level::kHour}) {
      if (auto s = RollUp(origin, state, to, now_ms); !s.ok()) return s;
    }
    if (state.stale_from_ms != 0) {
      // Rolled up again; a row arriving meanwhile would have re-marked it,
      // but this runs on the one thread that applies rows.
      HeldState& now = origin == self_ ? own_ : state;  // its own: restored rows (store/restore.cc)
      now.stale_from_ms = 0;
      if (auto s = Put(HeldKey(origin), EncodeHeld(now), false, "saving roll-up state"); !s.ok()) return s;
    }
    if (auto s = Expire(origin, now_ms); !s.ok()) return s;
  }
  return TrimLog();
}

Status HistoryStore::RollUp(NodeId origin, const HeldState& held, Level to, int64_t now_ms) {
  if (held.last_ms <= 0) return Status::Ok();
  // Minutes from the raw rows; five minutes and hours from the minutes.
  const Level from = to == Level::kMinute ? Level::kRaw : Level::kMinute;
  const int64_t span = LevelSpanMs(to);
  // Complete up to the last batch held (everything before it is here),
  // and for the coarser levels up to the minutes rolled.
  const int64_t covered = to == Level::kMinute ? held.last_ms : Watermark(origin, Level::kMinute);
  int64_t ready = BucketOf(covered, span);
  // An origin gone quiet: its last bucket is over by the wall clock, so it
  // is rolled up too (rows that still come for it mark it stale).
  const int64_t last_end = BucketOf(held.last_ms, span) + span;
  if (now_ms >= last_end + 60'000 && (to == Level::kMinute || covered > held.last_ms)) {
    ready = std::max(ready, last_end);
  }
  const int64_t mark = Watermark(origin, to);
  int64_t start = mark > 0 ? mark : BucketOf(held.first_ms, span);
  if (held.stale_from_ms > 0) start = std::min(start, BucketOf(held.stale_from_ms, span));
  // Never a bucket whose finer rows may have expired in part: its row (a
  // copy from the origin, say) is better than a partial one.
  start = std::max(start, BucketOf(now_ms - options_.retention_ms[static_cast<int>(from)], span) + span);
  // Far behind (a store from before five-minute rows: a month of them to
  // make), a bounded pass at a time; queries read the finer rows meanwhile.
  ready = std::min(ready, start + kMaxRollUpBuckets * span);
  if (ready <= start) return Status::Ok();
  // Only whole buckets are written: a stale range restarts at its bucket.
  rocksdb::WriteBatch wb;
  uint64_t bad = 0, written = 0;
  auto it = Iter(*db_);
  for (SeriesKind kind : kFigureKinds) {
    ForEachSeries(*it, origin, kind, from, [&](const std::string& name) {
      std::vector<SeriesBucket> buckets;
      ScanSeries(*it, origin, kind, from, name, start, ready, span, buckets, &bad);
      for (const auto& [bucket, figures] : buckets) {
        wb.Put(SeriesAt(origin, kind, to, name, bucket), EncodeFigures(figures));
        ++written;
      }
    });
  }
  std::string new_mark;
  AppendBigEndian(new_mark, static_cast<uint64_t>(std::max(ready, mark)), 8);
  wb.Put(WatermarkKey(origin, to), new_mark);
  if (auto s = writes_.Write(wb, false, "rolling up"); !s.ok()) return s;
  counters_.rolled_up += written;
  return Status::Ok();
}

Status HistoryStore::Expire(NodeId origin, int64_t now_ms) {
  auto it = Iter(*db_);
  rocksdb::WriteBatch wb;
  auto expire = [&](SeriesKind kind, Level level, int64_t keep_ms) {
    const int64_t cutoff = now_ms - keep_ms;
    if (cutoff <= 0) return;
    ForEachSeries(*it, origin, kind, level, [&](const std::string& name) {
      // The walk stands on the series' first row: anything to expire?
      auto first = DecodeKey(std::string_view(it->key().data(), it->key().size()));
      if (!first || first->time_ms >= cutoff) return;
      wb.DeleteRange(SeriesAt(origin, kind, level, name, 0), SeriesAt(origin, kind, level, name, cutoff));
      ++counters_.expired_ranges;
    });
  };
  for (SeriesKind kind : kFigureKinds) {
    for (int l = 0; l < kLevels; ++l) expire(kind, static_cast<Level>(l), options_.retention_ms[l]);
  }
  expire(SeriesKind::kEvent, Level::kRaw, options_.event_retention_ms);
  if (wb.Count() == 0) return Status::Ok();
  return writes_.Write(wb, false, "expiring old rows");
}

Status HistoryStore::TrimLog() {
  // Keep what a replica has not acknowledged, but never more than log_keep
  // batches: one further behind gets a copy instead.
  const uint64_t last = own_.applied_seq;
  uint64_t keep_after = last;
  for (const auto& [id, r] : Replicas()) keep_after = std::min(keep_after, r.acked_seq);
  if (last > options_.log_keep) keep_after = std::max(keep_after, last - options_.log_keep);
  auto it = Iter(*db_);
  it->Seek(LogPrefix());
  if (!it->Valid() || !it->key().starts_with(LogPrefix())) return Status::Ok();
  const uint64_t first = IdOfKey(std::string_view(it->key().data(), it->key().size()));
  if (first > keep_after) return Status::Ok();
  counters_.log_trimmed += keep_after - first + 1;
  rocksdb::WriteBatch wb;
  wb.DeleteRange(LogKey(0), LogKey(keep_after + 1));
  return writes_.Write(wb, false, "trimming the log");
}

Result<uint64_t> HistoryStore::Delete(const DeleteRequest& d) {
  if (!d.app.empty() && !ValidName(d.app)) return MakeError("history delete: a bad application name");
  const int64_t before = d.before_ms > 0 ? d.before_ms : INT64_MAX;
  std::vector<NodeId> origins;
  if (d.origin.valid()) {
    origins.push_back(d.origin);
  } else {
    origins = HeldOrigins();
  }
  rocksdb::WriteBatch wb;
  uint64_t rows = 0;
  auto it = Iter(*db_);
  auto drop = [&](NodeId origin, SeriesKind kind, Level level, const std::string& name) {
    const std::string series = SeriesPrefix(origin, kind, level, name);
    const std::string end = before == INT64_MAX ? PrefixEnd(series) : SeriesAt(origin, kind, level, name, before);
    for (it->Seek(series); it->Valid() && it->key().compare(end) < 0; it->Next()) ++rows;
    wb.DeleteRange(series, end);
  };
  for (NodeId origin : origins) {
    for (int l = 0; l < kLevels; ++l) {
      const Level level = static_cast<Level>(l);
      if (!d.app.empty()) {
        drop(origin, SeriesKind::kApp, level, d.app);
        continue;
      }
      for (SeriesKind kind : {SeriesKind::kApp, SeriesKind::kNode, SeriesKind::kPipe, SeriesKind::kEvent}) {
        if (kind == SeriesKind::kEvent && level != Level::kRaw) continue;
        std::vector<std::string> names;
        ForEachSeries(*it, origin, kind, level, [&](const std::string& name) { names.push_back(name); });
        for (const auto& name : names) drop(origin, kind, level, name);
      }
    }
  }
  if (auto s = writes_.Write(wb, false, "deleting rows"); !s.ok()) return s.error();
  return rows;
}

}  // namespace shoal::store
