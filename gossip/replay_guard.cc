#include "gossip/replay_guard.h"

namespace shoal::gossip {

bool ReplayGuard::Accept(NodeId sender, uint64_t boot, uint64_t sequence) {
  auto [s, fresh] = senders_.TryEmplace(sender);
  if (s == nullptr) return false;
  if (fresh || boot > s->boot) {
    *s = State{boot, sequence, 1};
    return true;
  }
  if (boot < s->boot) return false;
  if (sequence > s->highest) {
    const uint64_t shift = sequence - s->highest;
    s->window = shift >= 64 ? 1 : (s->window << shift) | 1;
    s->highest = sequence;
    return true;
  }
  const uint64_t back = s->highest - sequence;
  if (back >= 64) return false;
  const uint64_t bit = uint64_t{1} << back;
  if (s->window & bit) return false;
  s->window |= bit;
  return true;
}

}  // namespace shoal::gossip
