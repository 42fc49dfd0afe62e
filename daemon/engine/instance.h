// One vocabulary for what an application instance (one application's
// processes on one node) does: the sampler measures it, the node status
// carries it (rounded), the pool view hands it to the planner and the
// history recorder writes it. Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/model.h"

namespace shoal::engine {

struct InstanceFigures {
  std::string app;
  double usage_m = 0;   // millicores used
  double demand_m = 0;  // millicores wanted: used plus waited for; >= usage_m
  uint64_t rss_kb = 0;
  uint32_t processes = 0;
  bool operator==(const InstanceFigures&) const = default;
};

// A local port an instance's processes hold (a listening TCP socket or a
// UDP socket): its traffic on a pipe is the application's, whatever the
// policy's flow rules say.
struct LocalPort {
  policy::Protocol protocol = policy::Protocol::kTcp;
  uint16_t port = 0;
  auto operator<=>(const LocalPort&) const = default;
};

// A local instance as sampled: its figures, its processes and their ports.
struct LocalInstance : InstanceFigures {
  std::vector<int> pids;         // sorted
  std::vector<LocalPort> ports;  // sorted, unique; read only when the document has flows or pipes
};

// What the server is, as the node status tells the pool.
struct HostFacts {
  uint32_t cpus = 0;
  uint32_t load_milli = 0;  // 1-minute load average x 1000
  uint64_t mem_total_kb = 0;
  uint64_t mem_available_kb = 0;
  bool operator==(const HostFacts&) const = default;
};

}  // namespace shoal::engine
