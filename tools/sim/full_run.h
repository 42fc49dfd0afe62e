// shoal-sim --full: N whole nodes (tools/sim/full_pool.h) running a busy
// pool of ten applications whose demand rises and falls, a policy pushed
// after the warm-up, and what a pool manager is judged on: how long until
// every node enforces the pushed policy, how far the nodes' plans are
// apart, how much of each booking the simulated schedulers deliver, what
// the node status costs in traffic and, with history, how many copies of
// each node's periods its peers hold, and how late the figures each node
// plans from are (tools/sim/plan_lag.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace shoal::sim {

struct FullRunFlags {
  size_t nodes = 128;
  uint64_t seed = 1;
  double loss = 0;
  double warmup_s = 5;
  double duration_s = 20;
  size_t crashes = 0;  // during the window, after the push
  bool history = false;
  int copies = 2;
  bool json = false;
  // What the engines plan from: "live" (the live view of every node's
  // status), "snapshot" (the snapshot epoch) or "figures" (their own row
  // from the pool's figures, daemon/engine/figure_planner.h).
  std::string plan_from = "live";
};

// Runs and prints the report; returns the exit code.
int RunFull(const FullRunFlags& flags);

}  // namespace shoal::sim
