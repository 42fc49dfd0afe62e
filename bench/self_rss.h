// The benchmark process's own resident set, for memory figures. Free
// function; thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace shoal::bench {

// VmRSS of /proc/self/status in KiB (0 if it cannot be read).
inline uint64_t SelfRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

}  // namespace shoal::bench
