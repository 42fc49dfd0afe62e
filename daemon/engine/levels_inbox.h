// The pool's levels in versions, from the representative that publishes
// them to every node that plans from them. They reach a node two ways: down
// the roll-up tree (gossip/rollup.h: each version once, in milliseconds, to
// every node whose part a representative holds) and on the levels gossip
// channel (once a second, to every node, also those the tree misses: a node
// that sends no part yet, or whose zone's representative just moved). The
// representative numbers its versions (LevelsNumbering); a node takes
// whichever way brings the newer first (LevelsInbox), so an older version
// never replaces a newer one and the channel helps at once where the tree
// does not reach.
// Engine code: the caller's clock; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/node_id.h"
#include "policy/row_planner.h"

namespace shoal::engine {

// On the pool's representative: its levels encoded with a version, a new
// one only when they changed. Versions are the clock's nanoseconds and at
// least one past the last, so a restarted representative's usually come
// after its earlier ones (the inbox copes when its clock went back).
class LevelsNumbering {
 public:
  // The levels to publish; nullopt: the same as the last (nothing new).
  std::optional<std::string> Encode(const policy::PoolLevels& levels, TimePoint now);
  // This node stopped publishing: the next levels are new, even if equal.
  void Reset() { last_.clear(); }

 private:
  std::string last_;  // encoded without the version
  uint64_t version_ = 0;
};

// On every node: the levels to plan from.
class LevelsInbox {
 public:
  // `restarted`: how long an origin's versions on the channel may go older
  // than the one held before they are taken (its clock went back across a
  // restart). Longer than the channel's lag, so a late copy of an old
  // version is never taken for one.
  explicit LevelsInbox(Duration restarted = std::chrono::seconds(5)) : restarted_(restarted) {}

  // Levels published by `origin`, the node this one holds to represent the
  // pool. True: they are newer than those held (or from another
  // representative, or carry no version) and taken: plan from bytes().
  // Down the tree (or this node's own): only ever newer. A node passes down
  // the last version the tree brought it, which the channel may have
  // overtaken long since (a node that becomes a representative sends what
  // it holds to the zones now under it), so an older version from the tree
  // is a late copy, never a restart.
  bool OfferFromTree(NodeId origin, std::string_view levels, TimePoint now);
  // On the channel, which carries each origin's latest: an older version is
  // also taken once nothing newer has come for `restarted` (the
  // representative restarted with its clock behind).
  bool OfferFromChannel(NodeId origin, std::string_view levels, TimePoint now);
  const std::string& bytes() const { return bytes_; }
  // Forget what was heard (the node stopped planning from figures).
  void Clear();

 private:
  bool Offer(NodeId origin, std::string_view levels, TimePoint now, bool may_restart);

  Duration restarted_;
  std::string bytes_;
  NodeId origin_;
  uint64_t version_ = 0;
  TimePoint taken_at_ = TimePoint::min();
};

}  // namespace shoal::engine
