// Every live node's recent pipe demand (pipe_demand.h), decoded once per
// version, a few rounds of each kept, so that every node can divide a round
// from the same round's figures even when newer ones have already arrived;
// and the newest of nodes gone from the view, for what a failed node's
// classes still let through. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "core/node_id.h"
#include "daemon/engine/pipe_demand.h"
#include "gossip/channel.h"

namespace shoal::engine {

class PipeFigures {
 public:
  static constexpr size_t kKept = 4;  // figures per node

  explicit PipeFigures(NodeId self) : self_(self) {}
  // Takes the channel's new versions; forgets nodes that are not live.
  void Update(const gossip::ChannelView& channel);
  // This node's own figure (the channel's copy of it is not read back).
  void Keep(PipeDemand d);

  struct Chosen {
    NodeId node;
    const PipeDemand* demand;
  };
  // Per node (ascending id), its latest figure of `document` taken at a
  // round in [oldest, newest]; nodes without one are left out.
  std::vector<Chosen> Choose(uint64_t document, uint64_t oldest, uint64_t newest) const;
  // What nodes gone from the view that `failed` says are failed (not left,
  // not reaped) fall back to on `lane` (their last figure of `document`):
  // their classes may still send that much; and how many they are.
  // Forgets the other gone nodes.
  std::pair<uint64_t, size_t> Reserved(uint32_t lane, uint64_t document,
                                       const std::function<bool(NodeId)>& failed);
  // The nodes gone from the view and not yet forgotten (failed, or left
  // since the last Reserved), with what each falls back to on `lane` (per
  // round; 0 without a figure of `document`), by id.
  std::vector<std::pair<NodeId, uint64_t>> Gone(uint32_t lane, uint64_t document) const;
  // Versions that did not decode.
  uint64_t malformed() const { return malformed_; }

 private:
  struct Node {
    uint64_t version = 0;
    std::array<PipeDemand, kKept> ring{};  // by round % kKept
    PipeDemand period;                     // its last figure that carried the period figures
    uint64_t seen = 0;
  };
  static void Put(Node& n, PipeDemand d);

  NodeId self_;
  Node own_;
  std::map<NodeId, Node> nodes_;
  std::map<NodeId, PipeDemand> gone_;  // newest figure of nodes that left the view
  uint64_t updates_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace shoal::engine
