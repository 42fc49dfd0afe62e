#include "daemon/events/event_filter.h"

#include <algorithm>
#include <array>

namespace shoal::daemon {

int SeverityRank(std::string_view severity) {
  constexpr std::array<std::string_view, 4> kOrder = {"info", "notice", "warning", "error"};
  auto it = std::find(kOrder.begin(), kOrder.end(), severity);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

bool EventFilter::Passes(const control::Event& e) const {
  if (SeverityRank(e.severity()) < SeverityRank(min_severity)) return false;
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& t) { return e.type().starts_with(t); });
}

}  // namespace shoal::daemon
