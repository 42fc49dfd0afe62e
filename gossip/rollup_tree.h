// The roll-up's tree (gossip/rollup.h), computed alike by every node from
// the same live set, with no coordination.
//
// A node's position is a hash of its id. A zone is the live nodes whose
// positions share their first 3 x level bits (level 0: the whole pool), so
// a zone splits into up to 8 at the next level; a zone with the same
// members as the one below it is that zone (the tree is compressed), so
// every zone in the tree splits. A single node is a zone of its own (the
// leaf). Each zone is represented by its member with the least hash of (id,
// level): a different draw at every level, so no node carries the upper
// levels of every subtree, and a crash or a join moves only the
// representations of the zones it was in. About log8(N) + 1 zones stand
// above each node.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <vector>

#include "core/node_id.h"

namespace shoal::gossip {

struct ZoneKey {
  static constexpr uint8_t kLeafLevel = 22;  // a single node: prefix is its whole position
  uint8_t level = 0;
  uint64_t prefix = 0;  // the position's first 3 x level bits, the rest zero
  auto operator<=>(const ZoneKey&) const = default;
};

struct ZoneLink {
  ZoneKey zone;
  NodeId rep;          // its representative
  size_t members = 0;
  // Where self represents a zone above its leaf: the zones right under it,
  // sorted (the only parts it takes for it), and the representative of
  // each, in the same order (where what comes down the tree goes).
  std::vector<ZoneKey> children;
  std::vector<NodeId> child_reps;
};

// A node's place in the tree.
uint64_t TreePosition(NodeId id);

// The zones `self` is in, from its own leaf (represented by itself) up to
// the pool's. `live` lists the other live nodes (self in it is ignored).
// `barred` (sorted) are live nodes that represent no zone while another
// member could: the ones suspected of having failed, so that a zone under a
// crashed representative moves to the next one as soon as the pool
// suspects it rather than once it is declared failed. They stay members.
std::vector<ZoneLink> ZoneChain(NodeId self, std::span<const NodeId> live, std::span<const NodeId> barred = {});

}  // namespace shoal::gossip
