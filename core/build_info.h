// What a binary was built from, for --version: Shoal's version (CMake's
// project version), the commit (git describe when it was built, "-dirty"
// with uncommitted changes; "unknown" outside a checkout) and the build
// type. The values are generated at every build (cmake/build_info.cmake).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

struct BuildInfo {
  std::string_view version;
  std::string_view commit;
  std::string_view build_type;
};

const BuildInfo& Build();

// "shoald 0.1.0 (commit 748b271, Release build), gossip protocols 1 to 2"
std::string VersionText(std::string_view program, uint32_t oldest_protocol, uint32_t newest_protocol);

// "0.1.0 (748b271)": what a node publishes as its build.
std::string BuildText();

}  // namespace shoal
