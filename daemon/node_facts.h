// The "node" channel (code 2): each daemon's name and its server's size and
// load, read from /proc, so every node can name its peers and see how busy
// they are. Reading /proc is the daemon's business; the codec is plain.
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace shoal::daemon {

inline constexpr uint32_t kNodeChannel = 2;
inline constexpr size_t kNodeFactsMaxBytes = 128;

struct NodeFacts {
  std::string name;
  uint32_t cpus = 0;
  uint32_t load_milli = 0;
  uint64_t mem_total_kb = 0;
  uint64_t mem_available_kb = 0;
  bool operator==(const NodeFacts&) const = default;
};

std::string EncodeNodeFacts(const NodeFacts& f);
Result<NodeFacts> DecodeNodeFacts(std::string_view bytes);

// This server's facts from /proc/loadavg and /proc/meminfo under `proc`.
Result<NodeFacts> ReadNodeFacts(const std::string& name, const std::string& proc = "/proc");

}  // namespace shoal::daemon
