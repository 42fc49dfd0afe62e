#include "daemon/engine/levels_inbox.h"

#include <algorithm>

#include "daemon/engine/figures_codec.h"

namespace shoal::engine {

std::optional<std::string> LevelsNumbering::Encode(const policy::PoolLevels& levels, TimePoint now) {
  std::string plain = EncodeLevels(levels);
  if (plain == last_) return std::nullopt;
  last_ = plain;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  version_ = std::max(version_ + 1, static_cast<uint64_t>(std::max<int64_t>(ns, 0)));
  return VersionLevels(std::move(plain), version_);
}

bool LevelsInbox::Offer(NodeId origin, std::string_view levels, TimePoint now) {
  if (levels.empty() || levels == bytes_) return false;
  auto version = LevelsVersion(levels);
  if (!version.ok()) return false;  // refused when planned from, like any levels that do not decode
  const bool newer = origin != origin_ || *version == 0 || *version > version_;
  const bool restarted = *version < version_ && now - taken_at_ >= restarted_;
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
