// Which levels a node plans from when they come two ways: down the roll-up
// tree (gossip/rollup.h: each version once, in milliseconds, to every node
// whose part a representative holds) and on the levels gossip channel (once
// a second, to every node, also those the tree misses: a node that sends no
// part yet, or whose zone's representative just moved). The tree's versions
// are newer than the channel's, so while the tree speaks the channel is
// not listened to (an older version must not replace a newer one); after
// `silence` without a version from the tree the channel's are taken.
// Engine code: the caller's clock; not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"

namespace shoal::engine {

class LevelsInbox {
 public:
  explicit LevelsInbox(Duration silence = std::chrono::seconds(2)) : silence_(silence) {}

  // Levels from the tree. True: they are new (plan from bytes()).
  bool FromTree(std::string_view levels, TimePoint now);
  // Levels from the channel (the pool's representative's entry). True:
  // taken and new.
  bool FromChannel(std::string_view levels, TimePoint now);
  const std::string& bytes() const { return bytes_; }
  // Forget what was heard (the node stopped planning from figures).
  void Clear();

 private:
  bool Take(std::string_view levels);

  Duration silence_;
  std::string bytes_;
  TimePoint tree_at_ = TimePoint::min();
};

}  // namespace shoal::engine
