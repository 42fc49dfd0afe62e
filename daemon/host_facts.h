// This server's facts for its node status: CPUs, load and memory, read
// from /proc/loadavg and /proc/meminfo under `proc`. Thread-safe.
#pragma once

#include <string>

#include "core/result.h"
#include "daemon/engine/instance.h"

namespace shoal::daemon {

Result<engine::HostFacts> ReadHostFacts(const std::string& proc = "/proc");

}  // namespace shoal::daemon
