// Where an origin's history should live: every node ranks the live nodes
// for an origin by the same rendezvous score, so all agree without talking
// and a node's arrival or departure moves only the copies it held or gets.
// And when a node counts as gone. Header-only; thread-safe.
#pragma once

#include <cstdint>

#include "core/node_id.h"
#include "gossip/membership.h"

namespace shoal::store {

// Rendezvous score of `node` as a holder of `origin`'s rows: higher first.
inline uint64_t HolderScore(NodeId origin, NodeId node) {
  uint64_t x = origin.value ^ (node.value * 0x9e3779b97f4a7c15ULL);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Failed or left; or unknown once the membership had time to learn of it
// (`settled`).
inline bool Gone(const gossip::Member* m, bool settled) {
  if (!m) return settled;
  return m->state == gossip::MemberState::kFailed || m->state == gossip::MemberState::kLeft;
}

}  // namespace shoal::store
