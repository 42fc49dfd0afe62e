// The history store: one RocksDB per node holding its own history and the
// replicas it keeps of other nodes' (key layout: store/keys.h).
//
// The origin records each sampling period as one batch: its rows, a copy in
// its log (for the replicas) and its sequence number, in one atomic write
// that survives the process being killed. A replica applies an origin's
// batches strictly in sequence (a gap is refused and answered with what it
// holds); they reach the disk at the next SyncLog(), which must come before
// they are acknowledged (HistoryService sees to it). Roll-ups (minute,
// hour) are computed by every holder from the rows it holds, so copies of a
// series agree; retention expires each level on its own.
//
// Not thread-safe: one owner (the daemon's event loop) calls it. RocksDB's
// own background threads flush and compact.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/result.h"
#include "store/db_writes.h"
#include "store/figures.h"
#include "store/keys.h"
#include "store/records.h"

namespace rocksdb {
struct Options;
class Env;
class DB;
class Iterator;
class Cache;
}  // namespace rocksdb

namespace shoal::store {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;

struct StoreOptions {
  std::string path;
  // How long each level is kept, by level byte: raw, minute, hour, five
  // minutes (as long as the minutes it indexes).
  std::array<int64_t, kLevels> retention_ms = {kDayMs, 31 * kDayMs, 400 * kDayMs, 31 * kDayMs};
  int64_t event_retention_ms = 400 * kDayMs;
  // Batches kept in the log for a replica that falls behind (an hour at the
  // default 1 s period); one further behind gets a full copy instead.
  uint64_t log_keep = 3600;
  // A small daemon: one small memtable pair and a small block cache.
  size_t memtable_bytes = 1 << 20;
  size_t block_cache_bytes = 2 << 20;
  // SyncLog() syncs the log to disk (off: it does nothing; for tests).
  bool sync_replica_writes = true;
  // Where the files live: null for the machine's file system; the
  // simulator and tests pass an in-memory one (rocksdb::NewMemEnv), which
  // must outlive the store.
  rocksdb::Env* env = nullptr;
};

// Checks the options; errors name the option.
Status CheckStoreOptions(const StoreOptions& options);

struct SeriesSample {
  std::string name;  // application or pipe
  Sample sample;
};

// What one node records in one sampling period.
struct Period {
  int64_t time_ms = 0;
  std::optional<Sample> node;
  std::vector<SeriesSample> apps;
  std::vector<SeriesSample> pipes;
  std::vector<EventRecord> events;  // at most kMaxEventsPerPeriod
};
inline constexpr size_t kMaxEventsPerPeriod = 256;

struct StoreCounters {
  uint64_t batches = 0;           // recorded here
  uint64_t rows_written = 0;      // by Record, Append and Copy
  uint64_t appends = 0;           // batches applied for other origins
  uint64_t duplicates = 0;        // batches received again, skipped
  uint64_t gaps = 0;              // appends refused for a gap
  uint64_t refused = 0;           // replication messages refused as malformed
  uint64_t copied_rows = 0;
  uint64_t restored_rows = 0;     // rows of its earlier stores got back (RestoreRows)
  uint64_t rolled_up = 0;         // roll-up rows written
  uint64_t expired_ranges = 0;
  uint64_t log_trimmed = 0;       // batches dropped from the log
  uint64_t log_syncs = 0;         // SyncLog() calls that reached the disk
  uint64_t write_failures = 0;    // writes and syncs the disk failed (store/db_writes.h)
  uint64_t write_resumes = 0;     // times writing came back after such a failure
};

struct ArchiveInfo {
  std::string file;
  uint64_t rows = 0;
  int64_t first_ms = 0, last_ms = 0;  // of the rows in it
};

struct MountedArchive;  // store/archive_file.h

// Times of rows: from_ms <= time < before_ms (a bound of 0: none).
struct RowTimes {
  int64_t from_ms = 0, before_ms = 0;
};

// The canonical path of archive `file` (a name, or a path) if it is a
// regular file inside `dir`; otherwise why not, without reading it (a FIFO,
// a device or a file elsewhere is never opened).
Result<std::string> ArchiveFileIn(const std::string& dir, const std::string& file);

class HistoryStore {
 public:
  // Opens (or creates) the store at options.path for node `self`. A store
  // RocksDB finds corrupt, or whose own state does not parse, is moved
  // aside to PATH.corrupt-N and a new one created (moved_aside() says
  // where, corruption() why); errors name anything else (permissions, a
  // full disk).
  static Result<std::unique_ptr<HistoryStore>> Open(NodeId self, std::string self_name, StoreOptions options);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  NodeId self() const { return self_; }
  const std::string& self_name() const { return self_name_; }
  // Changes whenever the store is created afresh (its sequence restarts).
  uint64_t incarnation() const { return own_.incarnation; }
  uint64_t last_seq() const { return own_.applied_seq; }
  int64_t last_ms() const { return own_.last_ms; }
  const StoreOptions& options() const { return options_; }
  const std::string& moved_aside() const { return moved_aside_; }
  const std::string& corruption() const { return corrupt_; }
  const StoreCounters& counters() const { return counters_; }
  // False from a write the disk failed until writing works again.
  bool writing() const { return !writes_.failed(); }

  // --- the origin's side ---
  // Records one period as the next batch; returns its sequence number.
  // Rows are keyed by time (a clock stepping back overwrites only rows of
  // the very same millisecond). Errors name a bad name or the disk. After
  // a write failed for the disk it first tries to write again (once a
  // period; store/db_writes.h): until then every write is refused.
  Result<uint64_t> Record(const Period& period);
  // For a store that lost periods a replica holds (the tail of its log, to
  // a crash before the disk had it): goes on under a new incarnation, so
  // that replicas take its next periods afresh rather than as batches they
  // hold, and claims nothing held before now, so that pool questions about
  // earlier go to the copies that hold all of it; and gets back from them
  // what it lacks (restoring()). Open does the same for a store the last
  // process did not close (a crash), whose log's tail may be lost.
  Status Reincarnate();
  // --- getting back the rows of its earlier stores (store/restorer.h) ---
  // True from the store's creation afresh (or Reincarnate) until
  // FinishRestore: rows of its own from before restore_before_ms() may
  // still be held on other nodes only.
  bool restoring() const { return own_.restoring; }
  // 0 until the first period of this store is recorded.
  int64_t restore_before_ms() const { return own_.life_from_ms; }
  // Rows before this time it holds already (after a crash); only later
  // ones come back (0: all).
  int64_t restore_from_ms() const { return own_.restore_from_ms; }
  // Rows of this node's own from a holder (input from the network:
  // validated, every row or none): those from restore_from_ms() and before
  // restore_before_ms() that the store does not hold are written. Returns
  // how many were.
  Result<uint64_t> RestoreRows(const std::vector<RawRow>& rows);
  // The rows are back: the store holds its history from the earliest of
  // them on, and restoring() is false.
  Status FinishRestore();
  // The logged batches after `after`, up to about `max_bytes` (at least
  // one). Nullopt when batch after + 1 is no longer in the log.
  std::optional<std::vector<LogBatch>> LogAfter(uint64_t after, size_t max_bytes);
  // A slice of the rows held of `origin` (every level and kind) after the
  // key `cursor` ("" = from the start), about `max_bytes`; *done when it
  // reached the end. Only rows of times in `times` (a bound of 0: none):
  // then it looks at rows of about 8 x max_bytes at most, and says in
  // *scanned_to the last key it looked at, to go on from.
  std::vector<RawRow> RowsAfter(NodeId origin, const std::string& cursor, size_t max_bytes, bool* done,
                                RowTimes times = {}, std::string* scanned_to = nullptr);
  // The replicas of this node's rows, as the replicator last saved them.
  std::map<NodeId, ReplicaState> Replicas();
  Status SaveReplica(NodeId replica, const ReplicaState& state);
  Status ForgetReplica(NodeId replica);

  // --- a replica's side (input from the network: validated) ---
  // Applies batches of `origin` in sequence; returns the highest sequence
  // held without a gap. A batch already held is skipped; a gap ends the
  // message (what was before it is kept).
  Result<uint64_t> ApplyAppend(const AppendBatches& append);
  Result<uint64_t> ApplyCopy(const CopySlice& copy);
  // Syncs every write so far (the write-ahead log) to disk, so that what
  // ApplyAppend and ApplyCopy applied survives the machine going down.
  Status SyncLog();
  std::optional<HeldState> HeldOf(NodeId origin);

  // --- queries ---
  std::vector<Holding> Holdings();
  std::vector<NodeId> HeldOrigins();
  // Rows of the query's kind, name and origins in [from, to), merged into
  // buckets of step (aligned to multiples of it): rows of the query's level
  // as far as they are rolled up, then of the finer levels. Each series of
  // the live store is offered to `take` (if given) before it becomes rows;
  // an archive's answer is all rows.
  Result<QueryAnswer> Query(const SeriesQuery& query, const TakeSeries& take = nullptr);

  // --- upkeep ---
  // Rolls up what is complete, expires what is past retention, trims the
  // log. Call every minute or so; cheap when there is nothing to do.
  Status Maintain(int64_t now_ms);
  // Deletes rows (an operator's action; the caller logs and records it).
  // Returns how many rows went.
  Result<uint64_t> Delete(const DeleteRequest& request);

  // The end of what `level` holds rolled up for `origin` (0: nothing).
  int64_t Watermark(NodeId origin, Level level);

  // --- archives (store/archive.cc) ---
  // Moves every row held here (own and replicas) older than `before_ms`
  // into a new file in `dir` (a RocksDB table file, synced), then deletes
  // them from the store. Errors name the file.
  Result<ArchiveInfo> Archive(int64_t before_ms, const std::string& dir);
  // Mounts an archive file (checksums verified): queries with archive set
  // read it. Remembered across restarts. `file` is trusted: check a name
  // from outside with ArchiveFileIn first.
  Result<ArchiveInfo> Mount(const std::string& file);
  Status Unmount(const std::string& file);
  std::vector<ArchiveInfo> Mounted() const;
  std::vector<Holding> ArchiveHoldings() const;

  // Approximate memory RocksDB uses, by part.
  struct MemoryUse {
    uint64_t memtables = 0, block_cache = 0, table_readers = 0;
    uint64_t total() const { return memtables + block_cache + table_readers; }
  };
  MemoryUse Memory() const;

 private:
  HistoryStore(NodeId self, std::string self_name, StoreOptions options);
  // Opens the database and reads this node's own state; false (why in
  // corrupt_) when either is corrupt.
  Result<bool> Load(const rocksdb::Options& opts);
  // Marks the store open; one the last process left open (it crashed)
  // goes on under a new incarnation, getting back its recent rows.
  Status MarkOpen();
  // A new incarnation whose rows before `life_from_ms` (0: its next
  // period's time) and from `restore_from_ms` on come back from the pool.
  Status StartAfresh(int64_t life_from_ms, int64_t restore_from_ms);
  Result<std::string> MoveAside(const rocksdb::Options& opts);
  // After a write failed for the disk and RocksDB resumed: opens the
  // database again, for a new log (store/db_writes.h).
  void ResumeWriting();
  Status Put(const std::string& key, const std::string& value, bool sync, std::string_view what);
  Result<uint64_t> ApplyRows(const AppendBatches* append, const CopySlice* copy);
  // What the rows of each finer level have been rolled up into, for
  // `origin`: [0] where its minutes end (for raw rows), [1] the furthest of
  // its five-minute and hour roll-ups (for minute rows). A row arriving
  // before that marks the roll-ups from its time stale (in `held`).
  std::array<int64_t, 2> RolledUpTo(NodeId origin);
  static void MarkStale(const DataKey& key, const std::array<int64_t, 2>& rolled, HeldState& held);
  Status RollUp(NodeId origin, const HeldState& held, Level to, int64_t now_ms);
  Status Expire(NodeId origin, int64_t now_ms);
  Status TrimLog();
  Result<QueryAnswer> QueryArchives(const SeriesQuery& q, int64_t step);
  void RemountArchives();

  NodeId self_;
  std::string self_name_;
  StoreOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  DbWrites writes_{nullptr, &counters_};  // every write to db_ goes through it
  HeldState own_;  // what HeldOf(self) says, kept in memory
  std::string corrupt_, moved_aside_;
  std::vector<std::unique_ptr<MountedArchive>> mounts_;
  StoreCounters counters_;
};

}  // namespace shoal::store
