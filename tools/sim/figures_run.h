// shoal-sim --figures: a pool that plans from the pool's figures instead of
// every node's status (issue 26). Each node plans its own row from the last
// levels it heard (policy/row_planner.h) whenever its applications' demand
// changes (every second, at its own phase) or new levels arrive, and puts
// its part of the figures into the roll-up (gossip/rollup.h); the node that
// represents the pool derives the levels from the whole and publishes them
// on the levels channel. Measured: how long a change at one node takes to
// be in every node's levels (probe applications that appear at a random
// node), how far each node's row is from its row of the whole plan computed
// from every node's exact demand at the same moment, what each node sends
// and receives (gossip and roll-up), and membership's detection figures
// with crashes in the window. The planning half of the design; the node
// engine does not run here. Same flags and seed, same run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gossip/config.h"

namespace shoal::sim {

struct FiguresRunFlags {
  size_t nodes = 128;
  uint64_t seed = 1;
  double loss = 0;
  double warmup_s = 5;
  double duration_s = 20;
  size_t crashes = 0;
  int stall_ms = 0;  // one node (not a crashed one) stalls this long, a quarter into the window
  size_t apps = 20;
  size_t per_node = 5;
  double load = 0.9;
  int rollup_ms = 250;  // the roll-up's period
  int levels_ms = 250;  // levels published at most this often
  bool levels_down = true;  // down the roll-up tree (and the channel once a second), else the channel only
  bool statuses = false;  // plan as today: every node from every node's status
  gossip::GossipConfig gossip = gossip::GossipConfig::Lan();  // the exchange's settings
};

int RunFigures(const FiguresRunFlags& flags);

}  // namespace shoal::sim
