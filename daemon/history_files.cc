#include "daemon/history_files.h"

#include <filesystem>

#include <spdlog/spdlog.h>

namespace shoal::daemon {

std::array<int64_t, store::kLevels> Retention(const HistoryConfig& h) {
  return {h.keep_raw_hours * store::kHourMs, h.keep_minutes_days * store::kDayMs, h.keep_hours_days * store::kDayMs,
          h.keep_minutes_days * store::kDayMs};
}

Result<std::unique_ptr<store::HistoryStore>> OpenHistoryStore(const DaemonConfig& config) {
  if (!config.history.enabled) {
    spdlog::info("history: off (history.enabled = false)");
    return std::unique_ptr<store::HistoryStore>();
  }
  store::StoreOptions o;
  o.path = config.history.path;
  o.retention_ms = Retention(config.history);
  o.event_retention_ms = config.history.keep_events_days * store::kDayMs;
  std::error_code ec;
  std::filesystem::create_directories(o.path, ec);
  if (ec) return MakeError("history.path {}: cannot create it: {}", o.path, ec.message());
  auto opened = store::HistoryStore::Open(NodeId::FromName(config.node_name), config.node_name, o);
  if (!opened.ok()) return opened.error();
  if (!(*opened)->moved_aside().empty()) {
    spdlog::error("history: the store at {} was corrupt ({}): moved to {}, a new one started (this node's older "
                  "history stays on its replicas)",
                  o.path, (*opened)->corruption(), (*opened)->moved_aside());
  }
  spdlog::info("history: {} (sequence {}), {} cop{} on peers", o.path, (*opened)->last_seq(), config.history.copies,
               config.history.copies == 1 ? "y" : "ies");
  return opened;
}

}  // namespace shoal::daemon
