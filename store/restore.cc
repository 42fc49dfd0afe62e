// HistoryStore's side of getting back the rows of its earlier stores
// (store/restorer.h): writing those a holder sends that it lacks.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/history_store.h"
#include "store/wire_codec.h"

namespace shoal::store {

Result<uint64_t> HistoryStore::RestoreRows(const std::vector<RawRow>& rows) {
  if (!own_.restoring) return MakeError("history: rows to restore, but {} is not restoring", self_name_);
  HeldState own = own_;
  const auto rolled = RolledUpTo(self_);
  rocksdb::WriteBatch wb;
  uint64_t written = 0;
  std::string ignored;
  for (const RawRow& row : rows) {
    DataKey key;
    if (auto what = CheckRow(row, self_, &key); !what.empty()) {
      ++counters_.refused;
      return MakeError("history: rows to restore carry {}", what);
    }
    if (own.life_from_ms == 0 || key.time_ms >= own.life_from_ms || key.time_ms < own.restore_from_ms) continue;
    // What it holds is its own (a period recorded after a clock step, or
    // a roll-up of rows it has): kept.
    if (!db_->Get(rocksdb::ReadOptions(), row.key, &ignored).IsNotFound()) continue;
    if (own.restored_first_ms == 0 || key.time_ms < own.restored_first_ms) own.restored_first_ms = key.time_ms;
    MarkStale(key, rolled, own);  // the buckets it falls in are rolled up again
    wb.Put(row.key, row.value);
    ++written;
  }
  if (written == 0) return 0;
  wb.Put(HeldKey(self_), EncodeHeld(own));
  if (auto s = writes_.Write(wb, false, "restoring rows of its earlier stores"); !s.ok()) return s.error();
  own_ = std::move(own);
  counters_.rows_written += written;
  counters_.restored_rows += written;
  return written;
}

Status HistoryStore::FinishRestore() {
  HeldState own = own_;
  if (own.restored_first_ms > 0 && (own.first_ms == 0 || own.restored_first_ms < own.first_ms)) {
    own.first_ms = own.restored_first_ms;
  }
  own.restoring = false;
  own.restored_first_ms = 0;
  own.restore_from_ms = 0;
  if (auto s = Put(HeldKey(self_), EncodeHeld(own), true, "finishing a restore"); !s.ok()) return s;
  own_ = std::move(own);
  return Status::Ok();
}

}  // namespace shoal::store
