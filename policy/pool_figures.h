// The pool's figures: what a node needs of every other node to plan its own
// row (policy/row_planner.h), as sums and water sketches that merge. Each
// node contributes its own part (RowPlan::figures); any group of nodes'
// parts merge into the group's, in any order and grouping, with the same
// result (up to the rounding of sums); the whole pool's merged part is what every node plans from. Its
// size depends on the applications, not on the number of nodes, which is
// what lets a pool of thousands plan without every node's full status.
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "policy/water_sketch.h"

namespace shoal::policy {

// One application across the nodes merged. Amounts in millicores.
struct AppFigures {
  uint32_t instances = 0;
  double demand = 0, usage = 0;
  double booked = 0, allocated = 0;  // by the contributing nodes' last rows
  // Capacity of the nodes it runs on (what a server percentage requests).
  double node_capacity = 0;
  // An entitlement spread over the pool (DESIGN.md section 4, step 4):
  // per instance what it could book (its demand within the room left on
  // its node by more important bookings), and that room. Applications
  // without a policy send theirs too (in the room left last), so that a
  // document giving them one is planned from the first levels after it.
  WaterSketch bookable, room;
  // A pool-wide cap spread alike: per instance its demand within its
  // node's capacity, and that capacity.
  WaterSketch cappable, capacity;

  void Merge(const AppFigures& other);
  bool operator==(const AppFigures&) const = default;
};

struct PoolFigures {
  uint32_t nodes = 0;
  double capacity = 0;
  std::map<std::string, AppFigures, std::less<>> apps;

  void Merge(const PoolFigures& other);
  // Bins in use over every sketch (with the applications, what sending
  // the figures costs).
  size_t bins() const;
  bool operator==(const PoolFigures&) const = default;
};

}  // namespace shoal::policy
