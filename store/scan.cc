#include "store/scan.h"

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

}  // namespace shoal::store
