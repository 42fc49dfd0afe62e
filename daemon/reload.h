// What a SIGHUP can change in a running shoald. The configuration is read
// again (file and the same flags); a setting that changed is either taken
// at once (live) or named as needing a restart, with its old and new
// value. Live: log_level, seeds, report_every_ms, wall_clock_offset_ms, and the key and tokens
// files (reread on every SIGHUP whether their names changed or not).
// Everything else (addresses, names, directories, the enforcers, the
// gossip timing, history, pipes, triggers, admin keys) is fixed while the
// daemon runs. Free function of two plain values.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"

namespace shoal::daemon {

struct ReloadPlan {
  std::vector<std::string> live;     // keys to take now
  std::vector<std::string> restart;  // "key (old -> new)"
};

ReloadPlan PlanReload(const DaemonConfig& running, const DaemonConfig& fresh);

}  // namespace shoal::daemon
