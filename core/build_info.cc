#include "core/build_info.h"

#include <fmt/format.h>

namespace shoal {

std::string VersionText(std::string_view program, uint32_t oldest_protocol, uint32_t newest_protocol) {
  const BuildInfo& b = Build();
  return fmt::format("{} {} (commit {}, {} build), gossip protocols {} to {}", program, b.version, b.commit,
                     b.build_type, oldest_protocol, newest_protocol);
}

std::string BuildText() {
  const BuildInfo& b = Build();
  return fmt::format("{} ({})", b.version, b.commit);
}

}  // namespace shoal
