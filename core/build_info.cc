#include "core/build_info.h"

#include <fmt/format.h>

namespace shoal {

std::string VersionText(std::string_view program, uint32_t gossip_protocol) {
  const BuildInfo& b = Build();
  return fmt::format("{} {} (commit {}, {} build), gossip protocol {}", program, b.version, b.commit, b.build_type,
                     gossip_protocol);
}

}  // namespace shoal
