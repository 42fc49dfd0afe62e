// The pool view: every node's status (node_status.h), decoded once per new
// version into typed figures with the time each arrived. The planner's
// input, the control API, the pool table and the push-time capacity check
// all read the pool from here; nothing else decodes the node channel.
// Statuses of nodes that are no longer live are kept (for their names)
// until the exchange forgets them. A node that says it is settling (just
// started, its instances not measured yet) is planned from the last
// settled status the view had of it, where it had one: a restarted or
// wiped node's return then moves the pool's plan once, when its measured
// figures come, not to nothing and back. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"
#include "daemon/engine/node_status.h"
#include "gossip/channel.h"
#include "gossip/snapshot.h"
#include "policy/cpu_planner.h"

namespace shoal::engine {

// One node's status as planner input (nothing while its capacity is 0).
void AddToPlanInput(NodeId id, const NodeStatus& status, policy::PlanInput& in);
// The plan input of a snapshot epoch: its members' statuses as frozen in
// it (those that do not decode are left out), with `policies`.
policy::PlanInput SnapshotPlanInput(const gossip::Snapshot& snapshot, std::vector<policy::CpuPolicy> policies);

class PoolView {
 public:
  struct Node {
    NodeStatus status;
    uint64_t version = 0;   // of its entry
    TimePoint received{};   // when this version arrived here
    bool live = false;
    uint64_t seen = 0;      // the last Update that found it live
    // While status.settling: the last status before it that was not.
    std::shared_ptr<const NodeStatus> settled;
    // What the planner takes of this node.
    const NodeStatus& planned() const { return status.settling && settled ? *settled : status; }
  };

  // Brings the view up to date with the node channel (its subscriber, and
  // before a read that must see the latest).
  void Update(const gossip::ChannelView& channel);

  // The node's last status, live or not; nullptr if none decoded.
  const Node* Find(NodeId id) const;
  // The node's name from its status, else its id.
  std::string NameOf(NodeId id) const;
  // fn(NodeId, const Node&) for every live node with a status, by id.
  template <typename Fn>
  void ForEachLive(Fn&& fn) const {
    for (const auto& [id, node] : nodes_) {
      if (node.live) fn(id, node);
    }
  }
  // The millicores the live nodes offer (0: none known yet).
  double CapacityM() const;
  // The live nodes offering capacity and their instances, with `policies`.
  policy::PlanInput PlanInput(std::vector<policy::CpuPolicy> policies) const;

  // Counts every Update that changed what the view holds.
  uint64_t changes() const { return changes_; }
  // Status versions that did not decode (their node is out of the view
  // until it publishes one that does).
  uint64_t malformed() const { return malformed_; }

 private:
  std::map<NodeId, Node> nodes_;
  std::map<NodeId, uint64_t> refused_;  // the version that did not decode
  uint64_t updates_ = 0;
  uint64_t changes_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace shoal::engine
