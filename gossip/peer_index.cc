#include "gossip/peer_index.h"

#include <cassert>

namespace shoal::gossip {

uint32_t PeerIndex::Acquire(NodeId id) {
  if (auto it = slots_.find(id); it != slots_.end()) {
    ++holders_[it->second];
    return it->second;
  }
  if (slots_.size() >= max_ids_) return kNone;
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(ids_.size());
    ids_.emplace_back();
    holders_.push_back(0);
  }
  ids_[slot] = id;
  holders_[slot] = 1;
  slots_.emplace(id, slot);
  return slot;
}

void PeerIndex::Release(uint32_t slot) {
  assert(slot < holders_.size() && holders_[slot] > 0);
  if (--holders_[slot] > 0) return;
  slots_.erase(ids_[slot]);
  ids_[slot] = NodeId{};
  free_.push_back(slot);
}

}  // namespace shoal::gossip
