// Which events a sink takes: types by prefix ("node." or "booking.unmet";
// none: every type) at or above a severity. Plain value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "events.pb.h"

namespace shoal::daemon {

// 0 info, 1 notice, 2 warning, 3 error; -1 for an unknown name.
int SeverityRank(std::string_view severity);

struct EventFilter {
  std::vector<std::string> types;     // prefixes; empty: every type
  std::string min_severity = "info";

  bool Passes(const control::Event& e) const;
};

}  // namespace shoal::daemon
