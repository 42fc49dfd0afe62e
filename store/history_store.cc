#include "store/history_store.h"

#include <sys/random.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "core/big_endian.h"
#include "store/archive_file.h"
#include "store/rocks_logger.h"
#include "store/scan.h"
#include "store/wire_codec.h"

namespace shoal::store {
namespace {

rocksdb::Env* Env(const StoreOptions& o) { return o.env ? o.env : rocksdb::Env::Default(); }

// Present while a process has the store open: found at open, the last one
// ended without closing it (a crash), and its log's tail may be lost.
std::string OpenMarker(const StoreOptions& o) { return o.path + "/SHOAL-OPEN"; }

std::unique_ptr<rocksdb::Iterator> NewIterator(rocksdb::DB& db) {
  rocksdb::ReadOptions r;
  r.fill_cache = false;  // scans would push out the index blocks
  return std::unique_ptr<rocksdb::Iterator>(db.NewIterator(r));
}

uint64_t NewIncarnation() {
  uint64_t v = 0;
  while (v == 0) {
    if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) v = 0;
  }
  return v;
}

}  // namespace

Status CheckStoreOptions(const StoreOptions& o) {
  if (o.path.empty()) return MakeError("history.path: empty");
  // By level byte: five-minute rows are kept as long as the minutes.
  const char* names[] = {"history.keep_raw", "history.keep_minutes", "history.keep_hours", "history.keep_minutes"};
  for (int l = 0; l < kLevels; ++l) {
    if (o.retention_ms[l] < kHourMs) return MakeError("{}: must be at least an hour", names[l]);
  }
  if (o.event_retention_ms < kHourMs) return MakeError("history.keep_events: must be at least an hour");
  if (o.log_keep < 10) return MakeError("history.log_keep: at least 10 batches");
  return Status::Ok();
}

HistoryStore::HistoryStore(NodeId self, std::string self_name, StoreOptions options)
    : self_(self), self_name_(std::move(self_name)), options_(std::move(options)) {}

HistoryStore::~HistoryStore() {
  if (!db_) return;
  db_.reset();  // closed: its files are whole
  // None when it could not be made (a full disk at open).
  if (auto s = Env(options_)->DeleteFile(OpenMarker(options_)); !s.ok() && !s.IsNotFound()) {
    spdlog::warn("history store at {}: removing its open mark: {}", options_.path, s.ToString());
  }
}

namespace {

// RocksDB for a small daemon: small memtables and cache, few open files.
rocksdb::Options DbOptions(const StoreOptions& o, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  if (o.env) opts.env = o.env;
  opts.info_log = NewRocksLogger();
  opts.write_buffer_size = o.memtable_bytes;
  opts.max_write_buffer_number = 2;
  opts.max_open_files = 64;
  opts.max_background_jobs = 2;
  opts.writable_file_max_buffer_size = 64 << 10;  // per open file being written (1 MiB by default)
  opts.max_total_wal_size = 4 * o.memtable_bytes;
  opts.target_file_size_base = 8 << 20;
  opts.max_bytes_for_level_base = 32 << 20;
  opts.level_compaction_dynamic_level_bytes = true;
  const auto supported = rocksdb::GetSupportedCompressions();
  opts.compression = std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()
                         ? rocksdb::kLZ4Compression
                         : rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;  // counted against the cache, not loose
  table.block_size = 16 << 10;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return opts;
}

}  // namespace

Result<std::unique_ptr<HistoryStore>> HistoryStore::Open(NodeId self, std::string self_name, StoreOptions options) {
  if (auto s = CheckStoreOptions(options); !s.ok()) return s.error();
  std::unique_ptr<HistoryStore> store(new HistoryStore(self, std::move(self_name), std::move(options)));
  store->cache_ = rocksdb::NewLRUCache(store->options_.block_cache_bytes);
  const rocksdb::Options opts = DbOptions(store->options_, store->cache_);
  auto loaded = store->Load(opts);
  if (loaded.ok() && !*loaded) {
    // Corrupt: kept aside for a look, and a new store started (its sequence
    // restarts under a new incarnation; the replicas on peers keep theirs).
    if (auto aside = store->MoveAside(opts); !aside.ok()) return aside.error();
    loaded = store->Load(opts);
    if (loaded.ok() && !*loaded) {
      return MakeError("history store at {}: corrupt even when new: {}", store->options_.path, store->corrupt_);
    }
  }
  if (!loaded.ok()) return loaded.error();
  store->own_.name = store->self_name_;
  store->RemountArchives();
  if (auto s = store->MarkOpen(); !s.ok()) spdlog::error("{}", s.error().message);
  return store;
}

Result<bool> HistoryStore::Load(const rocksdb::Options& opts) {
  // Made here: with no LOG file of its own, RocksDB would first look into
  // a directory that does not exist yet, and say so.
  if (auto made = opts.env->CreateDirIfMissing(options_.path); !made.ok()) {
    return MakeError("history store at {}: {}", options_.path, made.ToString());
  }
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(opts, options_.path, &db);
  if (s.IsCorruption()) {
    corrupt_ = s.ToString();
    return false;
  }
  if (!s.ok()) return MakeError("history store at {}: {}", options_.path, s.ToString());
  db_.reset(db);
  writes_ = DbWrites(db, &counters_);
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), HeldKey(self_), &value);
  if (s.IsNotFound()) {
    own_ = HeldState{};
    own_.incarnation = NewIncarnation();
    own_.restoring = true;  // earlier stores' rows may be on other nodes
    return true;
  }
  if (!s.ok() && !s.IsCorruption()) return FromRocks(s, "reading its own state").error();
  auto own = s.ok() ? DecodeHeld(value) : std::nullopt;
  if (!own) {
    corrupt_ = s.ok() ? "its own state does not parse" : s.ToString();
    db_.reset();
    return false;
  }
  own_ = std::move(*own);
  return true;
}

namespace {

// How far before its last period a store that crashed may have lost
// periods (its log's tail; more if its clock stepped back meanwhile).
constexpr int64_t kCrashMarginMs = 10 * 60'000;

}  // namespace

Status HistoryStore::MarkOpen() {
  rocksdb::Env* env = Env(options_);
  const std::string mark = OpenMarker(options_);
  if (own_.applied_seq > 0 && env->FileExists(mark).ok()) {
    spdlog::warn("history store at {}: the last process did not close it (a crash), so its last periods may be "
                 "lost; it goes on under a new incarnation and gets back what the pool holds of them",
                 options_.path);
    if (auto s = StartAfresh(0, std::max<int64_t>(0, own_.last_ms - kCrashMarginMs)); !s.ok()) return s;
  }
  // A file beside the database's own, not a row: a write now would have
  // RocksDB set aside room for its log before a disk fills up.
  if (auto s = rocksdb::WriteStringToFile(env, "", mark, true); !s.ok()) {
    return MakeError("history store at {}: marking it open: {}", options_.path, s.ToString());
  }
  return Status::Ok();
}

Result<std::string> HistoryStore::MoveAside(const rocksdb::Options& opts) {
  for (int k = 1; k < 1000; ++k) {
    const std::string aside = fmt::format("{}.corrupt-{}", options_.path, k);
    if (opts.env->FileExists(aside).IsNotFound()) {
      if (auto s = opts.env->RenameFile(options_.path, aside); !s.ok()) {
        return MakeError("history store at {} is corrupt ({}) and cannot be moved aside: {}", options_.path,
                         corrupt_, s.ToString());
      }
      moved_aside_ = aside;
      return aside;
    }
  }
  return MakeError("history store at {} is corrupt ({}); 999 corrupt copies are already kept beside it",
                   options_.path, corrupt_);
}

void HistoryStore::ResumeWriting() {
  if (!writes_.failed() || !writes_.DiskBack()) return;
  const rocksdb::Options opts = DbOptions(options_, cache_);
  writes_.Reopened(nullptr, false);
  db_.reset();
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(opts, options_.path, &db);
  if (s.ok()) {
    spdlog::info("history store at {}: writing again after a failed write", options_.path);
  } else {
    spdlog::error("history store at {}: cannot open it again for writing ({}); read-only until it can",
                  options_.path, s.ToString());
    if (auto ro = rocksdb::DB::OpenForReadOnly(opts, options_.path, &db); !ro.ok()) {
      // Impossible short of the files vanishing: nothing left to read or write.
      spdlog::critical("history store at {}: cannot open it again even to read: {}", options_.path, ro.ToString());
      std::abort();
    }
  }
  db_.reset(db);
  writes_.Reopened(db, s.ok());
}

Status HistoryStore::Put(const std::string& key, const std::string& value, bool sync, std::string_view what) {
  rocksdb::WriteBatch wb;
  wb.Put(key, value);
  return writes_.Write(wb, sync, what);
}

Result<uint64_t> HistoryStore::Record(const Period& p) {
  if (p.time_ms < 0) return MakeError("history: a period at a negative time ({} ms)", p.time_ms);
  if (p.events.size() > kMaxEventsPerPeriod) {
    return MakeError("history: {} events in one period (at most {})", p.events.size(), kMaxEventsPerPeriod);
  }
  const uint64_t seq = own_.applied_seq + 1;
  LogBatch batch{seq, p.time_ms, {}};
  auto add = [&](const DataKey& key, std::string value) { batch.rows.push_back({EncodeKey(key), std::move(value)}); };
  if (p.node) add({self_, SeriesKind::kNode, Level::kRaw, "", p.time_ms}, EncodeFigures(RawFigures(*p.node)));
  for (const auto* list : {&p.apps, &p.pipes}) {
    const SeriesKind kind = list == &p.apps ? SeriesKind::kApp : SeriesKind::kPipe;
    for (const auto& s : *list) {
      if (!ValidName(s.name)) return MakeError("history: a series named \"{}\" (1-{} bytes, no NUL)", s.name, kMaxNameBytes);
      add({self_, kind, Level::kRaw, s.name, p.time_ms}, EncodeFigures(RawFigures(s.sample)));
    }
  }
  for (size_t i = 0; i < p.events.size(); ++i) {
    const auto& e = p.events[i];
    if (!ValidName(e.kind)) return MakeError("history: an event kind \"{}\"", e.kind);
    add({self_, SeriesKind::kEvent, Level::kRaw, e.kind, p.time_ms, seq << 8 | i}, EncodeEvent(e));
  }
  rocksdb::WriteBatch wb;
  for (const auto& row : batch.rows) wb.Put(row.key, row.value);
  wb.Put(LogKey(seq), EncodeBatch(batch));
  HeldState own = own_;
  own.applied_seq = seq;
  own.last_ms = p.time_ms;
  if (own.first_ms == 0 || p.time_ms < own.first_ms) own.first_ms = p.time_ms;
  if (own.restoring && own.life_from_ms == 0) own.life_from_ms = p.time_ms;
  wb.Put(HeldKey(self_), EncodeHeld(own));
  ResumeWriting();
  if (auto s = writes_.Write(wb, false, "recording a period"); !s.ok()) return s.error();
  own_ = std::move(own);
  ++counters_.batches;
  counters_.rows_written += batch.rows.size();
  return seq;
}

Status HistoryStore::Reincarnate() { return StartAfresh(own_.last_ms, 0); }

Status HistoryStore::StartAfresh(int64_t life_from_ms, int64_t restore_from_ms) {
  HeldState own = own_;
  own.incarnation = NewIncarnation();
  // What it holds from before stays claimed once the lost periods are back.
  if (!own.restoring || own.restored_first_ms == 0 || own.first_ms < own.restored_first_ms) {
    own.restored_first_ms = own.first_ms;
  }
  own.first_ms = own.last_ms;
  // A restore under way goes on, over both spans.
  own.restore_from_ms = own.restoring ? std::min(own.restore_from_ms, restore_from_ms) : restore_from_ms;
  own.restoring = true;
  own.life_from_ms = life_from_ms;
  ++own.lives;
  if (auto s = Put(HeldKey(self_), EncodeHeld(own), true, "starting a new incarnation"); !s.ok()) return s;
  own_ = std::move(own);
  return Status::Ok();
}

std::optional<std::vector<LogBatch>> HistoryStore::LogAfter(uint64_t after, size_t max_bytes) {
  std::vector<LogBatch> out;
  if (after >= own_.applied_seq) return out;
  auto it = NewIterator(*db_);
  it->Seek(LogKey(after + 1));
  size_t bytes = 0;
  uint64_t expect = after + 1;
  for (; it->Valid() && it->key().starts_with(LogPrefix()); it->Next()) {
    const uint64_t seq = IdOfKey(std::string_view(it->key().data(), it->key().size()));
    if (seq != expect) break;  // trimmed (first) or, impossibly, a hole
    auto b = DecodeBatch(std::string_view(it->value().data(), it->value().size()));
    if (!b) break;
    bytes += it->value().size();
    out.push_back(std::move(*b));
    ++expect;
    if (bytes >= max_bytes) break;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::vector<RawRow> HistoryStore::RowsAfter(NodeId origin, const std::string& cursor, size_t max_bytes, bool* done,
                                            RowTimes times, std::string* scanned_to) {
  std::vector<RawRow> out;
  const std::string prefix = OriginPrefix(origin);
  auto it = NewIterator(*db_);
  it->Seek(cursor.empty() ? prefix : cursor);
  if (!cursor.empty() && it->Valid() && it->key() == cursor) it->Next();
  size_t bytes = 0, looked = 0;
  const bool filtered = times.from_ms > 0 || times.before_ms > 0;
  *done = false;
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (bytes >= max_bytes || looked >= 8 * max_bytes) return out;
    if (filtered) {
      looked += it->key().size() + it->value().size();
      if (scanned_to) scanned_to->assign(it->key().data(), it->key().size());
    }
    if (IsFiveMinuteRow(std::string_view(it->key().data(), it->key().size()))) continue;  // each holder's own
    if (filtered) {
      auto key = DecodeKey(std::string_view(it->key().data(), it->key().size()));
      if (!key || key->time_ms < times.from_ms || (times.before_ms > 0 && key->time_ms >= times.before_ms)) continue;
    }
    out.push_back({it->key().ToString(), it->value().ToString()});
    bytes += out.back().key.size() + out.back().value.size();
  }
  *done = true;
  return out;
}

std::map<NodeId, ReplicaState> HistoryStore::Replicas() {
  std::map<NodeId, ReplicaState> out;
  auto it = NewIterator(*db_);
  for (it->Seek(ReplicaPrefix()); it->Valid() && it->key().starts_with(ReplicaPrefix()); it->Next()) {
    if (auto r = DecodeReplica(std::string_view(it->value().data(), it->value().size()))) {
      out[NodeId{IdOfKey(std::string_view(it->key().data(), it->key().size()))}] = std::move(*r);
    }
  }
  return out;
}

Status HistoryStore::SaveReplica(NodeId replica, const ReplicaState& state) {
  return Put(ReplicaKey(replica), EncodeReplica(state), false, "saving a replica's state");
}

Status HistoryStore::ForgetReplica(NodeId replica) {
  rocksdb::WriteBatch wb;
  wb.Delete(ReplicaKey(replica));
  return writes_.Write(wb, false, "forgetting a replica");
}

std::vector<Holding> HistoryStore::Holdings() {
  std::vector<Holding> out;
  auto it = NewIterator(*db_);
  for (it->Seek(HeldPrefix()); it->Valid() && it->key().starts_with(HeldPrefix()); it->Next()) {
    const NodeId origin{IdOfKey(std::string_view(it->key().data(), it->key().size()))};
    auto h = origin == self_ ? std::optional(own_) : DecodeHeld(std::string_view(it->value().data(), it->value().size()));
    if (h) out.push_back({origin, std::move(h->name), h->first_ms, h->last_ms, false, h->incarnation, h->lives});
  }
  return out;
}

std::vector<NodeId> HistoryStore::HeldOrigins() {
  std::vector<NodeId> out;
  auto it = NewIterator(*db_);
  for (it->Seek(HeldPrefix()); it->Valid() && it->key().starts_with(HeldPrefix()); it->Next()) {
    out.push_back(NodeId{IdOfKey(std::string_view(it->key().data(), it->key().size()))});
  }
  return out;
}

Result<QueryAnswer> HistoryStore::Query(const SeriesQuery& q, const TakeSeries& take) {
  auto step = CheckQuery(q);
  if (!step.ok()) return step.error();
  if (q.archive) return QueryArchives(q, *step);
  const std::vector<NodeId> origins = q.origins.empty() ? HeldOrigins() : q.origins;
  QueryAnswer result;
  result.level = q.level;
  uint64_t bad = 0;
  auto it = NewIterator(*db_);
  for (NodeId origin : origins) {
    const auto parts = LevelParts(q, [&](Level l) { return Watermark(origin, l); });
    if (auto s = AnswerOrigin(*it, origin, q, *step, parts, result, &bad, take); !s.ok()) return s.error();
  }
  SortEvents(result.events);
  return result;
}

int64_t HistoryStore::Watermark(NodeId origin, Level level) {
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), WatermarkKey(origin, level), &value).ok() || value.size() != 8) return 0;
  return static_cast<int64_t>(GetBigEndian(value, 0, 8));
}

HistoryStore::MemoryUse HistoryStore::Memory() const {
  MemoryUse m;
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &m.memtables);
  db_->GetIntProperty("rocksdb.estimate-table-readers-mem", &m.table_readers);
  m.block_cache = cache_->GetUsage();
  return m;
}

}  // namespace shoal::store
