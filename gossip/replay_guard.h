// Replay protection for sealed packets. Per sender it remembers the newest
// boot seen and, within that boot, the highest sequence number and a 64-wide
// window below it, so reordered packets still pass but every (sender, boot,
// sequence) is accepted at most once and older boots never again.
// Bounded by the PeerIndex: a sender the index has no room for is refused
// (its packets are not accepted until a slot frees). The Gossiper forgets
// a sender when it reaps it; its old packets could then be replayed once,
// and carry only entries whose versions are stale by then.
// Not thread-safe.
#pragma once

#include <cstdint>

#include "core/node_id.h"
#include "gossip/slot_map.h"

namespace shoal::gossip {

class ReplayGuard {
 public:
  explicit ReplayGuard(PeerIndex& index) : senders_(index) {}

  // True (and remembered) the first time; false for a replay, an old boot
  // or a new sender the index has no room for.
  bool Accept(NodeId sender, uint64_t boot, uint64_t sequence);
  void Forget(NodeId sender) { senders_.Erase(sender); }
  size_t tracked() const { return senders_.size(); }

 private:
  struct State {
    uint64_t boot = 0;
    uint64_t highest = 0;
    uint64_t window = 0;  // bit i: highest - i seen
  };
  SlotMap<State> senders_;
};

}  // namespace shoal::gossip
