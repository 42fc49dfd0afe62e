// shoalctl whatif's answer: a replay's report (policy/replay.h, and for
// pipes daemon/engine/pipe_replay.h) for people, each figure under the
// draft beside what the pool really had, and as JSON.
// Pure functions of the report.
#pragma once

#include <string>

#include "daemon/engine/pipe_replay.h"
#include "policy/replay.h"

namespace shoal::ctl {

struct WhatifHeading {
  std::string draft;  // the draft's file name
  int64_t step_ms = 0;
  policy::PoolEdits edits;
};

// `pipes`: the pipe replay's report (empty: no pipe in the draft or no traffic recorded).
std::string WhatifText(const policy::ReplayReport& r, const std::vector<engine::LaneAppReplay>& pipes,
                       const WhatifHeading& h);
std::string WhatifJson(const policy::ReplayReport& r, const std::vector<engine::LaneAppReplay>& pipes,
                       const WhatifHeading& h);

}  // namespace shoal::ctl
