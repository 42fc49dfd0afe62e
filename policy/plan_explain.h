// Why an application got what it got: the CPU planner's steps for one
// application, in words an operator can check by hand (entitlement, priority
// scaling, spreading into bookings, and each node's allocator levels).
// Used by `shoalctl plan --explain` and, later, by the daemon's events.
#pragma once

#include <string>

#include "core/result.h"
#include "policy/cpu_planner.h"

namespace shoal::policy {

// Millicores for people: "1500 mc (1.5 cores)" style numbers.
std::string FormatMillicores(double millicores);

// "40% of the pool, capped at 60% of the pool, priority 1".
std::string CpuPolicyText(const CpuPolicy& p);

// Several lines ending in '\n'. Fails if the plan has no such application.
Result<std::string> ExplainApp(const CpuPlan& plan, const std::string& app);

}  // namespace shoal::policy
