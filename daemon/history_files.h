// shoald's history on disk: the RocksDB under history.path that the
// engine's history recorder writes, and the retention its configuration
// asks for.
#pragma once

#include <array>
#include <memory>

#include "core/result.h"
#include "daemon/config.h"
#include "store/history_store.h"

namespace shoal::daemon {

// How long each level is kept: raw, minute, hour (milliseconds).
std::array<int64_t, store::kLevels> Retention(const HistoryConfig& h);

// Opens (creating the directory) the store of this node; none when the
// configuration turns history off. Errors name the path.
Result<std::unique_ptr<store::HistoryStore>> OpenHistoryStore(const DaemonConfig& config);

}  // namespace shoal::daemon
