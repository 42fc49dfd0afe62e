// The node status (channel "node", code 2): what each node publishes about
// itself for the pool, about once a second when it changes: its name, its
// server (HostFacts), the capacity it offers the pool, its policy version
// and mode, and per local application instance its figures. Every node
// plans from every node's status, or (planning_way.h) from the pool's
// figures: then the status is a card, the node's facts without its
// instances and load, which change only with its policy version or
// enforcement. This codec is the only place that knows
// the wire format; the pool view (pool_view.h) is its only reader in the
// engine. Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "daemon/engine/instance.h"
#include "gossip/registry.h"

namespace shoal::engine {

inline constexpr uint32_t kNodeChannel = gossip::channels::kNode;
inline constexpr size_t kNodeStatusMaxBytes = 1000;

struct NodeStatus {
  std::string name;
  HostFacts host;
  uint32_t capacity_m = 0;  // millicores offered to the pool
  std::vector<InstanceFigures> instances;
  std::string policy_version;
  bool enforcing = false;
  std::string enforcer;
  uint32_t instances_left_out = 0;  // did not fit the payload
  bool card = false;  // instances and load left out (above)
  // Just started, its instances not measured yet: planned from the last
  // status known of it where there is one (pool_view.h).
  bool settling = false;
  bool operator==(const NodeStatus&) const = default;
};

// Rounds what changes with noise so that a steady node does not publish a
// new version every second: usage and demand to 10 millicores (demand at
// least usage), memory to 1 MiB per instance and 64 MiB for the server,
// load to 0.05. Encode applies it; it is the only rounding of the figures.
NodeStatus RoundForPublishing(NodeStatus s);

// Rounds (above), then fits in kNodeStatusMaxBytes: when the instances do
// not fit, those with the least demand are left out and counted in
// instances_left_out.
std::string EncodeNodeStatus(const NodeStatus& s);
// The status as a card: no instances, no load, no memory available, no
// policy version (the policy channel announces every node's version), so a
// card changes only with the node's size, capacity or enforcement.
NodeStatus CardOf(NodeStatus s);
// Refuses what is malformed, too large, or names an application badly.
Result<NodeStatus> DecodeNodeStatus(std::string_view bytes);

}  // namespace shoal::engine
