#include "daemon/engine/levels_inbox.h"

namespace shoal::engine {

bool LevelsInbox::FromTree(std::string_view levels, TimePoint now) {
  tree_at_ = now;
  return Take(levels);
}

bool LevelsInbox::FromChannel(std::string_view levels, TimePoint now) {
  if (tree_at_ != TimePoint::min() && now - tree_at_ < silence_) return false;
  return Take(levels);
}

bool LevelsInbox::Take(std::string_view levels) {
  if (levels.empty() || levels == bytes_) return false;
  bytes_.assign(levels);
  return true;
}

void LevelsInbox::Clear() {
  bytes_.clear();
  tree_at_ = TimePoint::min();
}

}  // namespace shoal::engine
