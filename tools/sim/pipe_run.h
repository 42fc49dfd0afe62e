// shoal-sim --pipes: N whole nodes (tools/sim/full_pool.h) sharing one
// 1 Gbit/s uplink (sim_pipes.h) under uneven demand: "web", booked 30% of
// the pipe, sends 50 MB/s in all from every eighth server; "batch" sends
// 200 MB/s from a single server that changes every --shift-s. Reports what
// DESIGN.md section 9 judges a pipe on: the aggregate over the capacity in
// 1 s windows, the capacity used while demand exceeds it, the share of
// windows in which web's booking was met, how long a shift of batch to
// another server takes to be followed, and the traffic per node (run with
// --without-pipe-loop for the same pool without the pipe channel, to see
// what the pipe figures cost).
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoal::sim {

struct PipeRunFlags {
  size_t nodes = 128;
  uint64_t seed = 1;
  double loss = 0;
  double warmup_s = 5;
  double duration_s = 30;
  double shift_s = 10;
  bool pipe_loop = true;
  bool json = false;
};

// Runs and prints the report; returns the exit code.
int RunPipes(const PipeRunFlags& flags);

}  // namespace shoal::sim
