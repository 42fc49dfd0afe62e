// Why a node or an application got the pipe credit it got: one round of
// pipe_round.h told step by step, in words an operator can check by hand
// (terms, caps, the booking's spread, the pool's division, the node's
// split). Used by `shoalctl plan --explain`. Figures are bytes per round
// ("interval"), with the rate per second beside the headline ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bwman/pipe_round.h"

namespace shoal::bwman {

struct RoundNames {
  std::string pipe;
  uint64_t interval_ms = 100;
  std::vector<std::string> nodes;  // by the round's node index
  std::vector<std::string> apps;   // by slot
};

// The application in slot `app`: several lines ending in '\n'.
std::string ExplainAppCredit(const RoundInput& in, const Round& r, const RoundNames& names, size_t app);
// Every node's credit: the bookings and caps, each node's queue, the division.
std::string ExplainNodeCredits(const RoundInput& in, const Round& r, const RoundNames& names);

}  // namespace shoal::bwman
