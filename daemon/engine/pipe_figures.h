// Every live node's recent pipe demand (pipe_demand.h), decoded once per
// version, a few rounds of each kept, so that every node can divide a round
// from the same round's figures even when newer ones have already arrived.
// Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
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
  // Versions that did not decode.
  uint64_t malformed() const { return malformed_; }

 private:
  struct Node {
    uint64_t version = 0;
    std::array<PipeDemand, kKept> ring{};  // by round % kKept
    uint64_t seen = 0;
  };
  static void Put(Node& n, PipeDemand d);

  NodeId self_;
  Node own_;
  std::map<NodeId, Node> nodes_;
  uint64_t updates_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace shoal::engine
