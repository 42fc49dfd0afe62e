// Dense slot numbers for node ids. A node keeps a record of every peer in
// several tables (the membership, one entry table per channel, the replay
// windows); keyed by a 64-bit id, each would be a hash table of its own,
// which costs a node (and the simulator, which runs thousands of nodes in
// one process) several times the records' size and a cache miss per
// lookup. Instead each table is an array indexed by the id's slot here
// (SlotMap), and the id-to-slot lookup is done once, in one small table.
//
// Every table that starts keeping an id acquires its slot and releases it
// when it forgets the id; a slot nobody holds is free for the next new id,
// so a pool whose members come and go does not grow the index for ever.
// At most `max_ids` ids are held at once: Acquire refuses more, and the
// tables count what they then had to drop.
// shoald has one index per Gossiper; the simulator shares one between all
// its nodes. Not thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <unordered_map>
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
    auto it = slots_.find(id);
    return it == slots_.end() ? kNone : it->second;
  }
  // The id's slot, given one if it has none, with one more holder; kNone
  // when max_ids ids are held already.
  uint32_t Acquire(NodeId id);
  // One holder fewer; the last one frees the slot.
  void Release(uint32_t slot);

  NodeId IdOf(uint32_t slot) const { return ids_[slot]; }
  // One past the highest slot ever given: tables never need more room.
  size_t slots() const { return ids_.size(); }
  size_t held() const { return slots_.size(); }
  size_t max_ids() const { return max_ids_; }

 private:
  size_t max_ids_;
  std::unordered_map<NodeId, uint32_t> slots_;
  std::vector<NodeId> ids_;         // by slot; NodeId{} when free
  std::vector<uint32_t> holders_;   // by slot
  std::vector<uint32_t> free_;
};

}  // namespace shoal::gossip
