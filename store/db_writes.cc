#include "store/db_writes.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/history_store.h"

namespace shoal::store {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return MakeError("history store: {}: {}", what, s.ToString());
}

Status DbWrites::Write(rocksdb::WriteBatch& batch, bool sync, std::string_view what) {
  if (failed()) return Refused(what);
  rocksdb::WriteOptions w;
  w.sync = sync;
  return Check(db_->Write(w, &batch), what);
}

Status DbWrites::SyncLog() {
  if (failed()) return Refused("syncing the log to disk");
  if (auto s = Check(db_->SyncWAL(), "syncing the log to disk"); !s.ok()) return s;
  ++counters_->log_syncs;
  return Status::Ok();
}

bool DbWrites::DiskBack() {
  if (!failed()) return false;
  if (read_only_) return true;  // open again for writing: the only way back
  // Busy while RocksDB recovers by itself: the next period asks again.
  return db_->Resume().ok();
}

void DbWrites::Reopened(rocksdb::DB* db, bool writable) {
  db_ = db;
  read_only_ = !writable;
  if (!writable) return;
  failure_.clear();
  ++counters_->write_resumes;
}

Status DbWrites::Check(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  // Only the disk's failures stop writing; a refused argument does not.
  if (s.IsIOError() || s.IsCorruption()) {
    ++counters_->write_failures;
    if (!failed()) failure_ = s.ToString();
  }
  return FromRocks(s, what);
}

Status DbWrites::Refused(std::string_view what) const {
  return MakeError("history store: {}: not written since a write failed ({}); writing resumes once the disk "
                   "takes it again",
                   what, failure_);
}

}  // namespace shoal::store
