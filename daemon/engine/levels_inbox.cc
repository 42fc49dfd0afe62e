#include "daemon/engine/levels_inbox.h"

#include "core/clock_version.h"
#include "daemon/engine/figures_codec.h"

namespace shoal::engine {

std::optional<std::string> LevelsNumbering::Encode(const policy::PoolLevels& levels, TimePoint now) {
  std::string plain = EncodeLevels(levels);
  if (plain == last_) return std::nullopt;
  last_ = plain;
  version_ = ClockVersion(version_, now);
  return VersionLevels(std::move(plain), version_);
}

bool LevelsInbox::OfferFromTree(NodeId origin, std::string_view levels, TimePoint now) {
  return Offer(origin, levels, now, false);
}

bool LevelsInbox::OfferFromChannel(NodeId origin, std::string_view levels, TimePoint now) {
  return Offer(origin, levels, now, true);
}

bool LevelsInbox::Offer(NodeId origin, std::string_view levels, TimePoint now, bool may_restart) {
  if (levels.empty() || levels == bytes_) return false;
  auto version = LevelsVersion(levels);
  if (!version.ok()) return false;  // refused when planned from, like any levels that do not decode
  const bool newer = origin != origin_ || *version == 0 || *version > version_;
  const bool restarted = may_restart && *version < version_ && now - taken_at_ >= restarted_;
  if (!newer && !restarted) return false;
  bytes_.assign(levels);
  origin_ = origin;
  version_ = *version;
  taken_at_ = now;
  return true;
}

void LevelsInbox::Clear() {
  bytes_.clear();
  origin_ = NodeId{};
  version_ = 0;
  taken_at_ = TimePoint::min();
}

}  // namespace shoal::engine
