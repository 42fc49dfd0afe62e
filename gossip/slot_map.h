// A per-peer table: one T per node id, stored in an array at the id's
// PeerIndex slot. Lookups by slot are an array access; by id, one lookup
// in the shared index. The table holds its ids' slots (acquired on insert,
// released on erase and on destruction). Growth stops at the index's
// number of slots, so a table never holds more room than ids exist.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "gossip/peer_index.h"

namespace shoal::gossip {

template <typename T>
class SlotMap {
 public:
  explicit SlotMap(PeerIndex& index) : index_(&index) {}
  ~SlotMap() { Clear(); }
  SlotMap(const SlotMap&) = delete;
  SlotMap& operator=(const SlotMap&) = delete;

  const T* FindSlot(uint32_t slot) const {
    return slot < present_.size() && present_[slot] ? &values_[slot] : nullptr;
  }
  T* FindSlot(uint32_t slot) {
    return slot < present_.size() && present_[slot] ? &values_[slot] : nullptr;
  }
  const T* Find(NodeId id) const { return FindSlot(index_->Find(id)); }
  T* Find(NodeId id) { return FindSlot(index_->Find(id)); }
  bool contains(NodeId id) const { return Find(id) != nullptr; }

  // id's value, default-made when new (second: true). {nullptr, false}
  // when the index is full.
  std::pair<T*, bool> TryEmplace(NodeId id) {
    uint32_t slot = index_->Find(id);
    if (T* v = FindSlot(slot)) return {v, false};
    slot = index_->Acquire(id);
    if (slot == PeerIndex::kNone) return {nullptr, false};
    if (slot >= values_.size()) Grow(slot);
    present_[slot] = true;
    values_[slot] = T{};
    ++size_;
    return {&values_[slot], true};
  }
  bool Erase(NodeId id) { return EraseSlot(index_->Find(id)); }
  bool EraseSlot(uint32_t slot) {
    if (FindSlot(slot) == nullptr) return false;
    present_[slot] = false;
    values_[slot] = T{};
    --size_;
    index_->Release(slot);
    return true;
  }
  void Clear() {
    for (uint32_t s = 0; s < present_.size(); ++s) EraseSlot(s);
  }

  size_t size() const { return size_; }
  // Counts the times the values moved: pointers into the table taken
  // before a change of this count are invalid.
  uint64_t moves() const { return moves_; }
  NodeId IdOf(uint32_t slot) const { return index_->IdOf(slot); }
  uint32_t SlotOf(NodeId id) const { return index_->Find(id); }

  // fn(id, value) for every value, in slot order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uint32_t s = 0; s < present_.size(); ++s) {
      if (present_[s]) fn(index_->IdOf(s), values_[s]);
    }
  }
  // fn(id, slot, value) for every value, in slot order. fn may erase the
  // slot it is given (EraseSlot), but must not insert.
  template <typename Fn>
  void ForEachMutable(Fn&& fn) {
    for (uint32_t s = 0; s < present_.size(); ++s) {
      if (present_[s]) fn(index_->IdOf(s), s, values_[s]);
    }
  }

 private:
  void Grow(uint32_t slot) {
    // Doubling, but never past the slots that exist: a table that knows
    // every peer ends exactly as large as the index.
    const size_t want = std::max<size_t>(
        slot + 1, std::min(2 * values_.capacity(), index_->slots()));
    if (want > values_.capacity()) {
      values_.reserve(want);
      ++moves_;
    }
    values_.resize(slot + 1);
    present_.resize(slot + 1, false);
  }

  PeerIndex* index_;
  std::vector<T> values_;
  std::vector<bool> present_;
  size_t size_ = 0;
  uint64_t moves_ = 0;
};

}  // namespace shoal::gossip
