#include "gossip/peer_index.h"

#include <bit>
#include <cassert>

namespace shoal::gossip {

uint32_t PeerIndex::Acquire(NodeId id) {
  if (id.value == 0) return kNone;
  if (const uint32_t held = Find(id); held != kNone) {
    ++holders_[held];
    return held;
  }
  if (held_ >= max_ids_) return kNone;
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
  Insert(id.value, slot);
  return slot;
}

void PeerIndex::Release(uint32_t slot) {
  assert(slot < holders_.size() && holders_[slot] > 0);
  if (--holders_[slot] > 0) return;
  Erase(ids_[slot].value);
  ids_[slot] = NodeId{};
  free_.push_back(slot);
}

void PeerIndex::Insert(uint64_t id, uint32_t slot) {
  if (2 * (held_ + 1) > cells_.size()) Rehash(2 * cells_.size());
  size_t i = Home(id);
  while (cells_[i].id != 0) i = (i + 1) & mask_;
  cells_[i] = Cell{id, slot};
  ++held_;
}

void PeerIndex::Erase(uint64_t id) {
  size_t i = Home(id);
  while (cells_[i].id != id) i = (i + 1) & mask_;
  // Backward shift: move up every later cell of the run that may sit in
  // the hole (its home is not cyclically within (hole, cell]), so that
  // lookups need no tombstones.
  for (size_t j = (i + 1) & mask_; cells_[j].id != 0; j = (j + 1) & mask_) {
    const size_t home = Home(cells_[j].id);
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    cells_[i] = cells_[j];
    i = j;
  }
  cells_[i] = Cell{};
  --held_;
}

void PeerIndex::Rehash(size_t capacity) {
  std::vector<Cell> old(capacity);
  old.swap(cells_);
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  held_ = 0;
  for (const Cell& c : old) {
    if (c.id != 0) Insert(c.id, c.slot);
  }
}

}  // namespace shoal::gossip
