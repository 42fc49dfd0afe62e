// What changes between two policy documents, said the way an operator
// would check a draft before pushing it: the mode, pipes, applications and
// their detection, each policy's priority and shares, schedules, failure
// adjustments and triggers. One line per change, in document order; the
// same document (source lines aside) gives none. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "policy/model.h"

namespace shoal::policy {

// `from` null: nothing active, every part of `to` is new.
std::vector<std::string> DescribeChanges(const PolicyDocument* from, const PolicyDocument& to);

// A CPU share as written: "30% of the pool", "2 cores", "50% of each
// server", with ", cap ..." when capped.
std::string CpuShareText(const CpuShare& share);

}  // namespace shoal::policy
