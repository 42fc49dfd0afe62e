// HistoryStore's archives: old rows moved out into RocksDB table files
// (written with SstFileWriter, read back with SstFileReader without
// loading them into the store), mounted to answer queries.
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "core/big_endian.h"
#include "store/archive_file.h"
#include "store/scan.h"

namespace shoal::store {
namespace {

// RocksDB's own text can quote bytes of the file; only its kind is shown.
Error Failed(std::string_view what, const std::string& file, const rocksdb::Status& s) {
  std::string kind = s.ToString();
  kind = kind.substr(0, kind.find(':'));
  return MakeError("history archive {}: {}: {}", file, what, kind);
}

// Opens and checks an archive file; finds which origins it holds.
Result<std::unique_ptr<MountedArchive>> OpenArchive(const std::string& file) {
  auto m = std::make_unique<MountedArchive>();
  m->info.file = file;
  m->reader = std::make_unique<rocksdb::SstFileReader>(rocksdb::Options());
  if (auto s = m->reader->Open(file); !s.ok()) return Failed("cannot open it", file, s);
  if (auto s = m->reader->VerifyChecksum(); !s.ok()) return Failed("its checksums do not match", file, s);
  std::unique_ptr<rocksdb::Iterator> it(m->reader->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view k(it->key().data(), it->key().size());
    if (k.size() == 10 && k[0] == 'W' && it->value().size() == 8 && static_cast<uint8_t>(k[9]) < kLevels) {
      m->watermarks[{IdOfKey(k), static_cast<uint8_t>(k[9])}] =
          static_cast<int64_t>(GetBigEndian(std::string_view(it->value().data(), 8), 0, 8));
      continue;
    }
    auto key = DecodeKey(k);
    if (!key) return MakeError("history archive {}: a row that is not a history row: not an archive", file);
    auto [pos, added] = m->origins.try_emplace(key->origin.value, key->time_ms, key->time_ms);
    pos->second.first = std::min(pos->second.first, key->time_ms);
    pos->second.second = std::max(pos->second.second, key->time_ms);
    ++m->info.rows;
    if (m->info.rows == 1 || key->time_ms < m->info.first_ms) m->info.first_ms = key->time_ms;
    m->info.last_ms = std::max(m->info.last_ms, key->time_ms);
  }
  if (!it->status().ok()) return Failed("reading it", file, it->status());
  return m;
}

}  // namespace

Result<std::string> ArchiveFileIn(const std::string& dir, const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return MakeError("history archive: the archive directory {} is not there: {}", dir, ec.message());
  const fs::path given = fs::path(file).is_absolute() ? fs::path(file) : root / file;
  const fs::path path = fs::weakly_canonical(given, ec);
  const auto rel = path.lexically_relative(root);
  if (ec || rel.empty() || *rel.begin() == ".." || rel == ".") {
    return MakeError("history archive {}: only files in the archive directory {} can be mounted", file, root.string());
  }
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return MakeError("history archive {}: no such file in {}", file, root.string());
  if (!fs::is_regular_file(st)) return MakeError("history archive {}: not a regular file", file);
  return path.string();
}

Result<ArchiveInfo> HistoryStore::Archive(int64_t before_ms, const std::string& dir) {
  if (before_ms <= 0) return MakeError("history archive: a cut-off time is needed");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError("history archive: cannot create {}: {}", dir, ec.message());
  const std::string file = fmt::format("{}/history-{}-before-{}.sst", dir, self_name_, before_ms);
  if (std::filesystem::exists(file, ec)) return MakeError("history archive {}: already exists", file);
  rocksdb::SstFileWriter writer{rocksdb::EnvOptions(), rocksdb::Options()};
  if (auto s = writer.Open(file); !s.ok()) return Failed("cannot create it", file, s);
  ArchiveInfo info;
  info.file = file;
  std::set<uint64_t> origins;
  rocksdb::ReadOptions r;
  r.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(r));
  for (it->Seek("D"); it->Valid() && it->key().starts_with("D"); it->Next()) {
    auto key = DecodeKey(std::string_view(it->key().data(), it->key().size()));
    // Five-minute rows stay out: an archive is read from its minutes (and a
    // node of an earlier version can mount it).
    if (!key || key->time_ms >= before_ms || key->level == Level::kFiveMinutes) continue;
    if (auto s = writer.Put(it->key(), it->value()); !s.ok()) return Failed("writing it", file, s);
    if (info.rows++ == 0 || key->time_ms < info.first_ms) info.first_ms = key->time_ms;
    info.last_ms = std::max(info.last_ms, key->time_ms);
    origins.insert(key->origin.value);
  }
  // The roll-up watermarks of the origins, after the rows ('W' > 'D'): a
  // query reads each level of the file as far as it was rolled up.
  for (uint64_t origin : origins) {
    for (Level level : {Level::kMinute, Level::kHour}) {
      std::string mark;
      AppendBigEndian(mark, static_cast<uint64_t>(Watermark(NodeId{origin}, level)), 8);
      if (auto s = writer.Put(WatermarkKey(NodeId{origin}, level), mark); !s.ok()) return Failed("writing it", file, s);
    }
  }
  if (info.rows == 0) {
    std::filesystem::remove(file, ec);
    return MakeError("history archive: no rows before {} ms here", before_ms);
  }
  // Finish syncs the file: the rows leave the store only once it is safe.
  if (auto s = writer.Finish(); !s.ok()) return Failed("finishing it", file, s);
  auto deleted = Delete(DeleteRequest{.origin = {}, .app = {}, .before_ms = before_ms, .by = {}});
  if (!deleted.ok()) return deleted.error();
  spdlog::info("history: archived {} row(s) from before {} ms into {}", info.rows, before_ms, file);
  return info;
}

Result<ArchiveInfo> HistoryStore::Mount(const std::string& file) {
  for (const auto& m : mounts_) {
    if (m->info.file == file) return MakeError("history archive {}: already mounted", file);
  }
  auto opened = OpenArchive(file);
  if (!opened.ok()) return opened.error();
  if (auto s = Put(MountKey(file), "", false, "remembering an archive's mount"); !s.ok()) return s.error();
  ArchiveInfo info = (*opened)->info;
  mounts_.push_back(std::move(*opened));
  return info;
}

Status HistoryStore::Unmount(const std::string& file) {
  auto it = std::find_if(mounts_.begin(), mounts_.end(), [&](const auto& m) { return m->info.file == file; });
  if (it == mounts_.end()) return MakeError("history archive {}: not mounted", file);
  mounts_.erase(it);
  rocksdb::WriteBatch wb;
  wb.Delete(MountKey(file));
  return writes_.Write(wb, false, "forgetting an archive's mount");
}

void HistoryStore::RemountArchives() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(MountPrefix()); it->Valid() && it->key().starts_with(MountPrefix()); it->Next()) {
    const std::string file = it->key().ToString().substr(1);
    auto opened = OpenArchive(file);
    if (!opened.ok()) {
      spdlog::warn("history: archive stays unmounted: {}", opened.error().message);
      continue;
    }
    mounts_.push_back(std::move(*opened));
  }
}

std::vector<ArchiveInfo> HistoryStore::Mounted() const {
  std::vector<ArchiveInfo> out;
  for (const auto& m : mounts_) out.push_back(m->info);
  return out;
}

std::vector<Holding> HistoryStore::ArchiveHoldings() const {
  std::map<uint64_t, std::pair<int64_t, int64_t>> all;
  for (const auto& m : mounts_) {
    for (const auto& [origin, span] : m->origins) {
      auto [pos, added] = all.try_emplace(origin, span);
      pos->second.first = std::min(pos->second.first, span.first);
      pos->second.second = std::max(pos->second.second, span.second);
    }
  }
  std::vector<Holding> out;
  for (const auto& [origin, span] : all) out.push_back({NodeId{origin}, "", span.first, span.second, true, 0, 1});
  return out;
}

Result<QueryAnswer> HistoryStore::QueryArchives(const SeriesQuery& q, int64_t step) {
  // Every file's rows of the origins asked for, at the query's level, with
  // the same bucket of one series merged across files.
  QueryAnswer parts;
  uint64_t bad = 0;
  for (const auto& m : mounts_) {
    std::unique_ptr<rocksdb::Iterator> it(m->reader->NewIterator(rocksdb::ReadOptions()));
    for (const auto& [origin, span] : m->origins) {
      if (!q.origins.empty() && std::find(q.origins.begin(), q.origins.end(), NodeId{origin}) == q.origins.end()) {
        continue;
      }
      if (span.second < q.from_ms || span.first >= q.to_ms) continue;
      // As in the live store: each level up to its watermark, then finer.
      const auto range = LevelParts(q, [&m, id = origin](Level l) {
        auto w = m->watermarks.find({id, static_cast<int>(l)});
        return w == m->watermarks.end() ? 0 : w->second;
      });
      if (auto s = AnswerOrigin(*it, NodeId{origin}, q, step, range, parts, &bad); !s.ok()) return s.error();
    }
  }
  QueryAnswer result;
  result.level = q.level;
  std::map<std::tuple<NodeId, std::string, int64_t>, SeriesRow> rows;
  for (auto& row : parts.rows) {
    auto [pos, added] = rows.try_emplace({row.origin, row.name, row.bucket_ms}, row);
    if (!added) Merge(pos->second.figures, row.figures);
  }
  for (auto& [key, row] : rows) result.rows.push_back(std::move(row));
  result.events = std::move(parts.events);
  SortEvents(result.events);
  return result;
}

}  // namespace shoal::store
