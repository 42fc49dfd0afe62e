#include "gossip/catch_up.h"

namespace shoal::gossip {

CatchUp::CatchUp(size_t per_packet, Duration settle, Duration recent_for)
    : per_packet_(per_packet), settle_(settle), recent_for_(recent_for) {}

void CatchUp::OnStored(NodeId origin, TimePoint now) {
  if (per_packet_ == 0) return;
  if (recent_.size() < kMaxRecent) {
    recent_.push_back(Recent{origin, now});
  } else {
    recent_[recent_next_] = Recent{origin, now};
  }
  recent_next_ = (recent_next_ + 1) % kMaxRecent;
}

void CatchUp::OnBehind(NodeId origin, uint32_t their_sum, TimePoint now) {
  if (per_packet_ == 0) return;
  for (Behind& b : behind_) {
    if (b.id != origin) continue;
    b.their_sum = their_sum;  // the settle time runs from the first sight
    return;
  }
  if (behind_.size() < kMaxBehind) behind_.push_back(Behind{origin, their_sum, now});
}

}  // namespace shoal::gossip
