// The "node" channel (code 2), this node's status for the pool: the
// daemon's name, its server's size and load (read from /proc), the
// capacity it offers the pool, its mode and policy version, and per local
// application instance the usage and demand the sampler measured. Every
// node plans from these. Reading /proc is the daemon's business; the codec
// is plain. Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace shoal::daemon {

inline constexpr uint32_t kNodeChannel = 2;
inline constexpr size_t kNodeFactsMaxBytes = 1000;

struct InstanceStatus {
  std::string app;
  uint32_t usage_m = 0;
  uint32_t demand_m = 0;
  uint64_t rss_kb = 0;
  uint32_t processes = 0;
  bool operator==(const InstanceStatus&) const = default;
};

struct NodeFacts {
  std::string name;
  uint32_t cpus = 0;
  uint32_t load_milli = 0;
  uint64_t mem_total_kb = 0;
  uint64_t mem_available_kb = 0;
  uint32_t capacity_m = 0;
  std::vector<InstanceStatus> instances;
  std::string policy_version;
  bool enforcing = false;
  std::string enforcer;
  uint32_t instances_left_out = 0;
  bool operator==(const NodeFacts&) const = default;
};

// At most kNodeFactsMaxBytes: when the instances do not fit, those with
// the least demand are left out and counted in instances_left_out.
std::string EncodeNodeFacts(const NodeFacts& f);
// Refuses what is malformed, too large, or names an application badly.
Result<NodeFacts> DecodeNodeFacts(std::string_view bytes);

// This server's facts from /proc/loadavg and /proc/meminfo under `proc`
// (the status fields are left empty).
Result<NodeFacts> ReadNodeFacts(const std::string& name, const std::string& proc = "/proc");

}  // namespace shoal::daemon
