// Replay protection for sealed packets. Per sender it remembers the newest
// boot seen and, within that boot, the highest sequence number and a 64-wide
// window below it, so reordered packets still pass but every (sender, boot,
// sequence) is accepted at most once and older boots never again.
// Bounded by the PeerIndex: a sender the index has no room for is refused
// (its packets are not accepted until a slot frees). When the Gossiper
// reaps a sender it retires it instead of forgetting it: recorded packets
// of a dead node, replayed, must not bring it back. A retired sender's
// packets of older boots are refused, and so are those of its last boot up
// to a floor: the highest sequence seen plus the packets it would have sent
// since had it been alive all along (a long partition healing passes it; a
// dead node never sent that many). Without a sequence seen from that boot,
// the whole boot is refused until the membership takes the node back on
// other nodes' word (Lift). Retired senders are kept for a day, at most
// kMaxRetired of them (the oldest go first).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "core/clock.h"
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

  static constexpr size_t kMaxRetired = 65536;
  static constexpr Duration kRetiredFor = std::chrono::hours(24);
  // `sender`, whose last known boot is `boot`, was reaped; alive all along,
  // it would have sent at least `min_sent_since` packets since the last one
  // seen here.
  void Retire(NodeId sender, uint64_t boot, uint64_t min_sent_since, TimePoint now);
  bool retired(NodeId sender) const { return !retired_.empty() && retired_.contains(sender); }
  // The membership took the sender back: its packets count again.
  void Lift(NodeId sender) { retired_.erase(sender); }
  void ExpireRetired(TimePoint now);
  size_t retired_count() const { return retired_.size(); }

 private:
  struct Retired {
    uint64_t boot = 0;
    uint64_t floor = 0;  // sequences up to this are refused in `boot`
    TimePoint until;
  };
  std::unordered_map<NodeId, Retired> retired_;
  struct State {
    uint64_t boot = 0;
    uint64_t highest = 0;
    uint64_t window = 0;  // bit i: highest - i seen
  };
  SlotMap<State> senders_;
};

}  // namespace shoal::gossip
