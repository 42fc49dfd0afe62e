// The CPU planner (DESIGN.md section 4): from the global view (live nodes
// with their capacity, instances with their demand and usage) and the active
// CPU policies, the plan every node computes identically and of which each
// applies its own row.
//
//   1. Pool capacity: the sum over live nodes.
//   2. Each policy resolves to a requested pool entitlement: a percentage of
//      the pool, absolute millicores, or a percentage of every server the
//      application runs on.
//   3. If the requests exceed the pool, priorities are kept: levels that fit
//      keep their entitlement, the first that does not is scaled down
//      proportionally, the ones after it get nothing. An application with
//      no instance in the view is entitled to nothing (its request is shown
//      but squeezes nobody).
//   4. Each entitlement is spread over the application's instances as
//      bookings, in priority order (then by name), within what each node has
//      not yet booked: max-min fair by demand first, then whatever remains
//      spread max-min over the nodes' free room, so a booking guarantees
//      capacity even before demand rises. Server-percentage policies book
//      their share on each node. What no node can hold is reported unplaced.
//   5. Per node, the priority fair-share allocator divides the capacity over
//      the local instances: level 1 the bookings, level 2 the demand above
//      them of applications with a policy (within their caps), level 3 the
//      demand of rogue applications; the cumulative rounder makes integer
//      millicores that add up to the node's capacity with the reserve.
//   6. Each instance's cgroup settings: a weight proportional to its
//      allocation (its guarantee under contention; idle capacity stays free
//      for anyone to use) and a quota where its policy caps it, for rogue
//      instances when containment is on, and for an instance its node
//      holds below its demand, at its allocation plus what the node's plan
//      leaves unused (options.hold_contended).
//
// The plan depends only on the input's content, not its order: nodes sort by
// id, applications by name, instances by node then application. Pure
// function on values; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/fair_share.h"
#include "core/node_id.h"

namespace shoal::policy {

// CPU amounts are millicores throughout.
constexpr double kNoCap = std::numeric_limits<double>::infinity();

struct PlanNode {
  NodeId id;
  std::string name;
  double capacity = 0;
};

// An application's part on one node.
struct PlanInstance {
  std::string app;
  NodeId node;
  double demand = 0;  // what it would use unconstrained
  double usage = 0;   // what it used in the last sample
};

enum class CpuShareKind { kPoolPercent, kServerPercent, kMillicores };

const char* CpuShareKindName(CpuShareKind kind);

struct CpuPolicy {
  std::string app;
  CpuShareKind kind = CpuShareKind::kPoolPercent;
  double amount = 0;
  std::optional<double> cap;  // in the same unit as amount
  int priority = 1;           // 1 is the most important
};

struct PlannerOptions {
  double minimum = 0;  // every instance receives this first
  bool contain_rogues = false;
  // An instance held below its demand also gets a quota: its allocation
  // plus what its node's plan leaves unused (reserve, allocations above
  // demand). Weights divide only the threads that share one CPU's run
  // queue: on a server with several CPUs the split would otherwise follow
  // where the kernel placed each thread. When every instance wants its
  // allocation or more, the split is then exact; capacity that frees up
  // after the plan goes to a held instance at the next plan.
  bool hold_contended = true;
  int64_t quota_period_us = 100'000;
  uint32_t max_weight = 10'000;  // cgroup v2 cpu.weight range is 1..10000
};

struct PlanInput {
  std::vector<PlanNode> nodes;
  std::vector<PlanInstance> instances;
  std::vector<CpuPolicy> policies;
  PlannerOptions options;
};

struct AppPlan {
  std::string name;
  std::optional<CpuPolicy> policy;  // none: a rogue application
  double requested = 0;             // entitlement asked by the policy
  double scale = 1;                 // fraction kept by step 3
  double entitlement = 0;           // requested * scale
  double booked = 0;                // placed as bookings
  double unplaced = 0;              // entitlement no node could hold
  double cap = kNoCap;              // pool-wide cap
  double demand = 0, usage = 0, allocated = 0;
  std::vector<size_t> instances;  // indices into CpuPlan::instances
  bool rogue() const { return !policy.has_value(); }
  // Its booking cannot be met: the pool scaled it down, or part of it
  // found no node (rogues and applications without instances book nothing).
  bool unmet() const { return !rogue() && !instances.empty() && (scale < 0.999 || unplaced > 0.5); }
};

// 80 bytes: every pass of the plan reads or writes these rows, and at
// 10^4 instances and more they are what misses the cache.
struct InstancePlan {
  uint32_t app = 0;   // index into CpuPlan::apps
  uint32_t node = 0;  // index into CpuPlan::nodes
  double demand = 0, usage = 0;
  double booking = 0;
  double cap = kNoCap;
  double allocation = 0;  // from the node's allocator, fractional
  int64_t millicores = 0;  // allocation after the rounder
  uint32_t weight = 1;
  bool held = false;  // wants more than its allocation (quota'd when options.hold_contended)
  std::optional<int64_t> quota_us;  // per options.quota_period_us
};

struct NodePlan {
  NodeId id;
  std::string name;
  double capacity = 0;
  double bookable = 0;  // capacity less the instances' minimums
  double booked = 0;
  int64_t reserve = 0;  // millicores nobody was allocated
  size_t first = 0, count = 0;  // its instances in CpuPlan::instances
  std::array<LevelOutcome, 3> levels;  // bookings, burst, rogue
};

struct CpuPlan {
  double pool_capacity = 0;
  PlannerOptions options;
  std::vector<AppPlan> apps;            // by name
  std::vector<NodePlan> nodes;          // by id
  std::vector<InstancePlan> instances;  // by node, then application name
  size_t ignored_instances = 0;         // on nodes not in the live set

  const AppPlan* FindApp(const std::string& name) const;
  const NodePlan* FindNode(NodeId id) const;
};

// Inputs are trusted to be finite; negative amounts count as zero, duplicate
// nodes keep the first by id, duplicate instances of one application on one
// node are added together, and of two policies for one application the more
// important (then the larger) wins.
CpuPlan PlanCpu(const PlanInput& input);

}  // namespace shoal::policy
