// The pool probe (channel 3): measures how long an update takes to reach
// every node of a real pool. A probing node publishes a new probe every
// `every`; every node, the moment it stores a probe, echoes (origin, seq,
// its wall-clock time of arrival) on the same channel; the prober logs, per
// probe, the one-way time to each node and to the last one. One-way times
// compare wall clocks, so they are exact on one machine (the loopback
// benchmark) and as good as NTP across machines. Runs on the daemon's
// thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "gossip/gossiper.h"

namespace shoal::daemon {

inline constexpr uint32_t kProbeChannel = gossip::channels::kProbe;

struct ProbeResult {
  uint64_t seq = 0;
  size_t nodes = 0;                // nodes that echoed
  std::vector<double> one_way_ms;  // per node
};

class PoolProbe {
 public:
  using WallClock = std::function<uint64_t()>;  // unix time in ns
  using Report = std::function<void(const ProbeResult&)>;

  // every: how often this node starts a probe (zero: it only echoes).
  PoolProbe(gossip::Gossiper& g, Duration every, WallClock wall, Report report);
  Status Register();
  // For the Gossiper's entry observer.
  void OnStored(uint32_t channel, NodeId origin);

 private:
  std::optional<std::string> Publish();

  gossip::Gossiper& g_;
  Duration every_;
  WallClock wall_;
  Report report_;
  uint64_t started_seq_ = 0;
  uint64_t started_ns_ = 0;
  uint64_t next_start_ns_ = 0;
  NodeId echo_origin_;
  uint64_t echo_seq_ = 0;
  uint64_t echo_ns_ = 0;
  std::optional<std::string> payload_;  // the last one published; none: changed since
  // Arrival times of echoes of our probes: seq -> node -> ms.
  std::map<uint64_t, std::map<NodeId, double>> echoes_;
};

}  // namespace shoal::daemon
