// Dense slot numbers for node ids. A node keeps a record of every peer in
// several tables (the membership, one entry table per channel, the replay
// windows); keyed by a 64-bit id, each would be a hash table of its own,
// which costs a node (and the simulator, which runs thousands of nodes in
// one process) several times the records' size and a cache miss per
// lookup. Instead each table is an array indexed by the id's slot here
// (SlotMap), and the id-to-slot lookup is done once, in one small table:
// open addressing with linear probing in a flat array at most half full,
// so a lookup (several per digest item received) usually touches one
// cache line.
//
// Every table that starts keeping an id acquires its slot and releases it
// when it forgets the id; a slot nobody holds is free for the next new id,
// so a pool whose members come and go does not grow the index for ever.
// At most `max_ids` ids are held at once: Acquire refuses more, and the
// tables count what they then had to drop. Id 0 (no node) is never held.
// shoald has one index per Gossiper; the simulator shares one between all
// its nodes. Not thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/node_id.h"

namespace shoal::gossip {

class PeerIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  explicit PeerIndex(size_t max_ids) : max_ids_(max_ids) {}
  PeerIndex(const PeerIndex&) = delete;
  PeerIndex& operator=(const PeerIndex&) = delete;

  // The id's slot, or kNone when no table holds it.
  uint32_t Find(NodeId id) const {
    if (id.value == 0) return kNone;
    for (size_t i = Home(id.value);; i = (i + 1) & mask_) {
      if (cells_[i].id == id.value) return cells_[i].slot;
      if (cells_[i].id == 0) return kNone;
    }
  }
  // The id's slot, given one if it has none, with one more holder; kNone
  // when max_ids ids are held already.
  uint32_t Acquire(NodeId id);
  // One holder fewer; the last one frees the slot.
  void Release(uint32_t slot);

  NodeId IdOf(uint32_t slot) const { return ids_[slot]; }
  // One past the highest slot ever given: tables never need more room.
  size_t slots() const { return ids_.size(); }
  size_t held() const { return held_; }
  size_t max_ids() const { return max_ids_; }

 private:
  struct Cell {
    uint64_t id = 0;  // 0: empty
    uint32_t slot = 0;
  };
  size_t Home(uint64_t id) const { return static_cast<size_t>((id * 0x9e3779b97f4a7c15ULL) >> shift_); }
  void Insert(uint64_t id, uint32_t slot);
  void Erase(uint64_t id);
  void Rehash(size_t capacity);

  size_t max_ids_;
  size_t held_ = 0;
  std::vector<Cell> cells_ = std::vector<Cell>(kInitialCells);  // a power of two
  size_t mask_ = kInitialCells - 1;
  int shift_ = 64 - 4;  // 64 - log2(cells)
  static constexpr size_t kInitialCells = 16;
  std::vector<NodeId> ids_;         // by slot; NodeId{} when free
  std::vector<uint32_t> holders_;   // by slot
  std::vector<uint32_t> free_;
};

}  // namespace shoal::gossip
