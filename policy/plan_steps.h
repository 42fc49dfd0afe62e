// Steps of the CPU plan (cpu_planner.h) that the planner of the whole plan
// and the planner of one node's row from the pool's figures
// (row_planner.h) share, so both decide alike. Internal to policy/.
#pragma once

#include <cstddef>
#include <vector>

#include "policy/cpu_planner.h"

namespace shoal::policy::steps {

// Of two policies for one application, whether `a` wins over `b`.
bool MoreImportant(const CpuPolicy& a, const CpuPolicy& b);

// Step 2: an application's requested entitlement and pool-wide cap, from
// the pool's capacity and the capacity of the nodes it runs on.
void Request(AppPlan& app, double pool_capacity, double server_capacity);

// The applications with a policy that run somewhere (`present`, by index
// into plan.apps), most important first, then by name: the booking order.
std::vector<size_t> PriorityOrder(const CpuPlan& plan, const std::vector<bool>& present);

// Step 3: priority levels that fit keep their entitlement, the first that
// does not is scaled down, the later ones get nothing.
void KeepPriorities(const std::vector<size_t>& by_priority, CpuPlan& plan);

// Steps 5 and 6 on a plan whose bookings and caps are set: each node's
// allocator, rounder and cgroup settings.
void AllocateNodes(CpuPlan& plan);

}  // namespace shoal::policy::steps
