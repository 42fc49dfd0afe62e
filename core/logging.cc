#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace shoal {

Status SetupLogging(std::string_view level, std::string_view node_name) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return MakeError(
        "log level '{}' is not one of trace, debug, info, warn, error, critical, off", level);
  }
  auto logger = spdlog::stderr_color_mt(std::string(node_name.empty() ? "shoal" : node_name));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace shoal
