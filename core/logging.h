// Logging setup for Shoal's programs: one spdlog logger to standard error,
// with the node's name in every line. The engine logs through spdlog's
// default logger; level names are spdlog's (trace, debug, info, warn, error,
// critical, off). Call once at start-up, before other threads start.
#pragma once

#include <string_view>

#include "core/result.h"

namespace shoal {

Status SetupLogging(std::string_view level, std::string_view node_name);

}  // namespace shoal
