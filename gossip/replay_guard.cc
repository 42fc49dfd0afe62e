#include "gossip/replay_guard.h"

#include <algorithm>
#include <limits>

namespace shoal::gossip {

bool ReplayGuard::Accept(NodeId sender, uint64_t boot, uint64_t sequence) {
  if (!retired_.empty()) {
    if (auto r = retired_.find(sender); r != retired_.end()) {
      if (boot < r->second.boot || (boot == r->second.boot && sequence <= r->second.floor)) return false;
      retired_.erase(r);  // a new boot, or a node that was alive all along
    }
  }
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

void ReplayGuard::Retire(NodeId sender, uint64_t boot, uint64_t min_sent_since, TimePoint now) {
  Retired r{boot, std::numeric_limits<uint64_t>::max(), now + kRetiredFor};
  if (const State* s = senders_.Find(sender); s != nullptr && s->boot >= boot) {
    r.boot = s->boot;
    r.floor = s->highest + std::min(min_sent_since, std::numeric_limits<uint64_t>::max() - s->highest);
  }
  senders_.Erase(sender);
  if (retired_.size() >= kMaxRetired && !retired_.contains(sender)) {
    auto oldest = std::min_element(retired_.begin(), retired_.end(),
                                   [](const auto& a, const auto& b) { return a.second.until < b.second.until; });
    retired_.erase(oldest);
  }
  retired_[sender] = r;
}

void ReplayGuard::ExpireRetired(TimePoint now) {
  if (!retired_.empty()) std::erase_if(retired_, [&](const auto& kv) { return kv.second.until < now; });
}

}  // namespace shoal::gossip
