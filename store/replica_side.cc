// HistoryStore's replica side: the rows of other origins that replication
// brings (input from the network: every row checked), and where rows
// arriving late make the roll-ups from their time stale.
#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/history_store.h"
#include "store/wire_codec.h"

namespace shoal::store {

std::optional<HeldState> HistoryStore::HeldOf(NodeId origin) {
  if (origin == self_) return own_;
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), HeldKey(origin), &value).ok()) return std::nullopt;
  return DecodeHeld(value);
}

Result<uint64_t> HistoryStore::ApplyAppend(const AppendBatches& append) { return ApplyRows(&append, nullptr); }
Result<uint64_t> HistoryStore::ApplyCopy(const CopySlice& copy) { return ApplyRows(nullptr, &copy); }

Status HistoryStore::SyncLog() {
  if (!options_.sync_replica_writes) return Status::Ok();
  return writes_.SyncLog();
}

Result<uint64_t> HistoryStore::ApplyRows(const AppendBatches* append, const CopySlice* copy) {
  const NodeId origin = append ? append->origin : copy->origin;
  const uint64_t incarnation = append ? append->incarnation : copy->incarnation;
  const std::string& name = append ? append->origin_name : copy->origin_name;
  if (!origin.valid() || origin == self_) {
    ++counters_.refused;
    return MakeError("history: rows of origin {} cannot be held here", origin.ToString());
  }
  if (name.size() > 255) {
    ++counters_.refused;
    return MakeError("history: an origin name of {} bytes", name.size());
  }
  HeldState held = HeldOf(origin).value_or(HeldState{});
  if (held.incarnation != incarnation) {
    // The origin's store was created afresh: its sequence starts again.
    if (held.incarnation != 0) ++held.lives;
    held.incarnation = incarnation;
    held.applied_seq = 0;
  }
  held.name = name;
  // Rows older than a roll-up watermark (a replica catching up) make the
  // roll-ups from there stale.
  const auto rolled = RolledUpTo(origin);
  rocksdb::WriteBatch wb;
  uint64_t rows = 0;
  auto add_row = [&](const RawRow& row, std::string_view where) -> Status {
    DataKey key;
    if (auto what = CheckRow(row, origin, &key); !what.empty()) {
      ++counters_.refused;
      return MakeError("history: {} from {} carries {}", where, origin.ToString(), what);
    }
    if (held.first_ms == 0 || key.time_ms < held.first_ms) held.first_ms = key.time_ms;
    MarkStale(key, rolled, held);
    wb.Put(row.key, row.value);
    ++rows;
    return Status::Ok();
  };
  if (append) {
    for (const LogBatch& b : append->batches) {
      if (b.seq <= held.applied_seq) {
        ++counters_.duplicates;
        continue;
      }
      if (b.seq != held.applied_seq + 1) {
        ++counters_.gaps;
        break;  // keep what came before the gap; the ack tells the origin where to resume
      }
      for (const RawRow& row : b.rows) {
        if (auto s = add_row(row, fmt::format("batch {}", b.seq)); !s.ok()) return s.error();
      }
      held.applied_seq = b.seq;
      held.last_ms = std::max(held.last_ms, b.time_ms);
      ++counters_.appends;
    }
  } else {
    for (const RawRow& row : copy->rows) {
      if (auto s = add_row(row, "a copy"); !s.ok()) return s.error();
    }
    counters_.copied_rows += copy->rows.size();
    if (copy->last && copy->through_seq > held.applied_seq) {
      held.applied_seq = copy->through_seq;
      held.last_ms = std::max(held.last_ms, copy->through_ms);
    }
  }
  wb.Put(HeldKey(origin), EncodeHeld(held));
  // Not synced here: SyncLog() syncs many of these at once.
  if (auto s = writes_.Write(wb, false, "applying replicated rows"); !s.ok()) return s.error();
  counters_.rows_written += rows;
  return held.applied_seq;
}

std::array<int64_t, 2> HistoryStore::RolledUpTo(NodeId origin) {
  return {Watermark(origin, Level::kMinute),
          std::max(Watermark(origin, Level::kFiveMinutes), Watermark(origin, Level::kHour))};
}

void HistoryStore::MarkStale(const DataKey& key, const std::array<int64_t, 2>& rolled, HeldState& held) {
  if (key.kind != SeriesKind::kEvent && (key.level == Level::kRaw || key.level == Level::kMinute) &&
      key.time_ms < rolled[static_cast<size_t>(key.level)] &&
      (held.stale_from_ms == 0 || key.time_ms < held.stale_from_ms)) {
    held.stale_from_ms = key.time_ms;
  }
}

}  // namespace shoal::store
