#include "daemon/events/event_filter.h"

#include <algorithm>

#include "core/event_types.h"

namespace shoal::daemon {

int SeverityRank(std::string_view severity) {
  const auto s = SeverityNamed(severity);
  return s ? static_cast<int>(*s) : -1;
}

bool EventFilter::Passes(const control::Event& e) const {
  if (SeverityRank(e.severity()) < SeverityRank(min_severity)) return false;
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& t) { return e.type().starts_with(t); });
}

}  // namespace shoal::daemon
