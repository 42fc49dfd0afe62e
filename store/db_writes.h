// Every write the history store makes to its RocksDB, and the sync of its
// log, under the rule a failing disk needs.
//
// Once a write fails for the disk (full, or an I/O error), RocksDB 7.8
// refuses writes until it has resumed, and it never leaves the log file
// whose write failed: the next write or sync to it aborts the whole
// process (an assertion in WritableFileWriter, taken out upstream only in
// 9.1). So after such a failure every write and sync is refused here with
// the failure's message, without reaching RocksDB, until RocksDB says it
// has resumed (it watches for free space by itself; DiskBack() asks it
// too) and the store has opened the database again, which starts a new
// log. Nothing synced before the failure is lost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rocksdb {
class DB;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace shoal::store {

struct StoreCounters;  // store/history_store.h

// The store's error for a RocksDB status ("history store: WHAT: ...").
Status FromRocks(const rocksdb::Status& s, std::string_view what);

class DbWrites {
 public:
  // Counts its failures, resumes and syncs in *counters.
  DbWrites(rocksdb::DB* db, StoreCounters* counters) : db_(db), counters_(counters) {}

  // Applies `batch` (`what` names it in an error); synced if `sync`.
  Status Write(rocksdb::WriteBatch& batch, bool sync, std::string_view what);
  // Syncs the log: every write before it is on disk when it returns ok.
  Status SyncLog();
  bool failed() const { return !failure_.empty(); }
  // After a failure: whether RocksDB has resumed (asked here to, which on
  // a disk still full costs a flush that fails: about once a period).
  bool DiskBack();
  // The store opened the database again: writable, or read-only while it
  // could not (writes stay refused then).
  void Reopened(rocksdb::DB* db, bool writable);

 private:
  Status Check(const rocksdb::Status& s, std::string_view what);
  Status Refused(std::string_view what) const;

  rocksdb::DB* db_;
  StoreCounters* counters_;
  std::string failure_;  // the first failure's message, until resumed
  bool read_only_ = false;
};

}  // namespace shoal::store
