// The load the simulated and emulated pools run: `apps` applications, each
// booked `percent`% of the pool (even ones at priority 1, odd ones at 2),
// and on server i three of them, each wanting 600 to 2,200 millicores,
// rising and falling over a minute at the server's own phase: every node's
// figures change every second, and 4-CPU servers are contended about half
// the time.
#pragma once

#include <cstddef>
#include <string>

#include "tools/sim/sim_machine.h"

namespace shoal::sim {

struct SimLoad {
  int apps = 10;
  int percent = 7;
  std::string prefix = "app-";  // application k is named prefix + k, two digits

  std::string AppName(int k) const;
  // The enforce-mode policy document; its process rules match no real
  // process (shoal-emulate pushes it to a real daemon).
  std::string Policy() const;
  // Puts server i's three applications on `m`.
  void Run(size_t server, SimMachine& m) const;
};

}  // namespace shoal::sim
