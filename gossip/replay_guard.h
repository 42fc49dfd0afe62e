// Replay protection for sealed packets. Per sender it remembers the newest
// boot seen and, within that boot, the highest sequence number and a 64-wide
// window below it, so reordered packets still pass but every (sender, boot,
// sequence) is accepted at most once and older boots never again.
// Bounded: at most `max_senders` senders are tracked; the least recently
// heard is forgotten first (a forgotten sender's old packets could then be
// replayed once; they carry only entries whose versions are already stale).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "core/node_id.h"

namespace shoal::gossip {

class ReplayGuard {
 public:
  explicit ReplayGuard(size_t max_senders = 65536) : max_senders_(max_senders) {}

  // True (and remembered) the first time; false for a replay or an old boot.
  bool Accept(NodeId sender, uint64_t boot, uint64_t sequence);
  void Forget(NodeId sender);
  size_t tracked() const { return senders_.size(); }

 private:
  struct State {
    uint64_t boot = 0;
    uint64_t highest = 0;
    uint64_t window = 0;  // bit i: highest - i seen
    std::list<NodeId>::iterator lru;
  };
  size_t max_senders_;
  std::unordered_map<NodeId, State> senders_;
  std::list<NodeId> lru_;  // front: most recent
};

}  // namespace shoal::gossip
