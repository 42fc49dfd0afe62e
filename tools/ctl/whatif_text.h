// shoalctl whatif's answer: a replay's report (policy/replay.h) for people,
// each figure under the draft beside what the pool really had, and as JSON.
// Pure functions of the report.
#pragma once

#include <string>

#include "policy/replay.h"

namespace shoal::ctl {

struct WhatifHeading {
  std::string draft;  // the draft's file name
  int64_t step_ms = 0;
  policy::PoolEdits edits;
};

std::string WhatifText(const policy::ReplayReport& r, const WhatifHeading& h);
std::string WhatifJson(const policy::ReplayReport& r, const WhatifHeading& h);

}  // namespace shoal::ctl
