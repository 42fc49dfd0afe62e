// Planning one node's row of the CPU plan from the pool's figures
// (pool_figures.h) instead of every node's status, for pools too large for
// every node to hear every other's status each second.
//
// The whole plan (cpu_planner.h) spreads each entitlement over the
// application's instances max-min by demand within the room each node has
// left, in priority order; one water level per application says what each
// instance gets: min(bookable, level), or, where the pool's bookable demand
// falls short of the entitlement, max(bookable, min(room, level)). So a node
// needs of the others only enough to find those levels: the pool's sums and
// water sketches. A round goes:
//
//   1. every node plans its row from the last levels (PlanRow), which also
//      gives its part of the next figures: what each of its instances could
//      book in the room the more important bookings left on it;
//   2. the parts merge into the pool's figures (by whatever carries them);
//   3. every node derives the same levels from them (PlanLevels).
//
// The room an instance sees depends on the bookings of more important
// applications on its node, which depend on their levels, so the rows settle
// over rounds to the whole plan's, within the sketches' precision
// (bench/RESULTS.md, "Planning a row from the pool's figures"); where room
// does not bind, one round suffices. Pure functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "policy/cpu_planner.h"
#include "policy/pool_figures.h"

namespace shoal::policy {

// How an entitlement (or a pool-wide cap) spreads over an application's
// instances: each gets min(bookable, level), or with fill_room
// max(bookable, min(room, level)); a level of infinity gives everything the
// room allows.
struct SpreadLevel {
  bool fill_room = false;
  double level = 0;
};

// What every node derives alike from the pool's figures.
struct PoolLevels {
  // The pool's side of the plan: pool_capacity, options, and every
  // application with an instance or a policy, by name, with its pool-wide
  // request, scale, entitlement, cap, demand, usage, and the bookings and
  // allocations of the nodes' last rows. No nodes, no instances.
  CpuPlan pool;
  uint32_t nodes = 0;
  std::vector<uint32_t> instances;  // per application, pool-wide
  std::vector<SpreadLevel> spread, cap_spread;  // per application
};

PoolLevels PlanLevels(const PoolFigures& figures, std::span<const CpuPolicy> policies, const PlannerOptions& options);

// Sets each application's policy in `levels` from `policies` (this node's
// document): levels travel without their policies.
void AttachPolicies(std::span<const CpuPolicy> policies, PoolLevels& levels);

struct RowPlan {
  // This node's row as the whole plan would give it: one node, its own
  // instances (by application name), and the applications of the levels
  // plus its own rogue ones, by name; an application's booked and
  // allocated are this node's, the rest pool-wide.
  CpuPlan plan;
  // This node's part of the next round's figures.
  PoolFigures figures;
};

RowPlan PlanRow(const PoolLevels& levels, const PlanNode& self, std::span<const PlanInstance> own);

}  // namespace shoal::policy
