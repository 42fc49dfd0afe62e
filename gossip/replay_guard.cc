#include "gossip/replay_guard.h"

namespace shoal::gossip {

bool ReplayGuard::Accept(NodeId sender, uint64_t boot, uint64_t sequence) {
  auto it = senders_.find(sender);
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_ && !lru_.empty()) {
      senders_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(sender);
    senders_.emplace(sender, State{boot, sequence, 1, lru_.begin()});
    return true;
  }
  State& s = it->second;
  lru_.splice(lru_.begin(), lru_, s.lru);
  if (boot < s.boot) return false;
  if (boot > s.boot) {
    s = State{boot, sequence, 1, s.lru};
    return true;
  }
  if (sequence > s.highest) {
    const uint64_t shift = sequence - s.highest;
    s.window = shift >= 64 ? 1 : (s.window << shift) | 1;
    s.highest = sequence;
    return true;
  }
  const uint64_t back = s.highest - sequence;
  if (back >= 64) return false;
  const uint64_t bit = uint64_t{1} << back;
  if (s.window & bit) return false;
  s.window |= bit;
  return true;
}

void ReplayGuard::Forget(NodeId sender) {
  auto it = senders_.find(sender);
  if (it == senders_.end()) return;
  lru_.erase(it->second.lru);
  senders_.erase(it);
}

}  // namespace shoal::gossip
