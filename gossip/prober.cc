#include "gossip/prober.h"

#include <algorithm>

#include "gossip/membership.h"

namespace shoal::gossip {

void Prober::Tick(TimePoint now, const Membership& membership, Random& random,
                  std::vector<Endpoint>& probe, std::vector<Unanswered>& unanswered, bool draw) {
  if (interval_ == Duration::zero()) return;
  if (draw && now >= next_draw_) {
    // Jittered, so nodes that started together do not probe in step.
    next_draw_ = now + random.Between(interval_ / 2, interval_ * 3 / 2);
    const auto& live = membership.live_peers();
    if (!live.empty()) {
      const auto m = live[random.Below(live.size())];
      const bool open =
          std::any_of(open_.begin(), open_.end(), [&](const Open& o) { return o.id == m.id; });
      // A suspect is probed by the suspect probes already.
      if (!open && m->state == MemberState::kAlive) open_.push_back(Open{m.id, now});
    }
  }
  std::erase_if(open_, [&](const Open& o) {
    const Member* m = membership.Find(o.id);
    if (m == nullptr || m->state != MemberState::kAlive || !m->endpoint.valid()) return true;
    if (now - o.since >= timeout_) {
      unanswered.push_back(Unanswered{o.id, o.since});
      return true;
    }
    probe.push_back(m->endpoint);
    return false;
  });
}

void Prober::OnDirect(NodeId id) {
  if (open_.empty()) return;
  std::erase_if(open_, [&](const Open& o) { return o.id == id; });
}

void Prober::Restart(TimePoint now) {
  for (Open& o : open_) o.since = now;
}

}  // namespace shoal::gossip
