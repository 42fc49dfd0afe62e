// An archive file mounted into a history store (see HistoryStore::Mount):
// the open file and which origins it holds over which times. Internal to
// store/.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include <rocksdb/sst_file_reader.h>

#include "store/history_store.h"

namespace shoal::store {

struct MountedArchive {
  ArchiveInfo info;
  std::unique_ptr<rocksdb::SstFileReader> reader;
  std::map<uint64_t, std::pair<int64_t, int64_t>> origins;  // origin -> first, last row time
  std::map<std::pair<uint64_t, int>, int64_t> watermarks;   // (origin, level) -> roll-up watermark
};

}  // namespace shoal::store
