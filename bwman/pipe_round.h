// One round of a pipe direction: what every node computes, from the same
// figures, for the next credit interval (DESIGN.md section 5). Each node
// publishes, per application, the bytes it wants to send in an interval;
// bookings and caps are pool-wide. The round
//
//   1. holds each application to its cap: its demand is shared max-min
//      over the nodes that want it, up to the cap;
//   2. spreads each booking over the nodes where the application wants
//      bandwidth, max-min by their demand (a node never holds booked bytes
//      it does not want, so a booking follows the application's traffic);
//   3. divides the interval among the nodes with DivideCredit (pipe_credit.h):
//      booked first, unbooked in proportion, the rest as immediate credit;
//   4. gives each of a node's applications its booked part, and shares the
//      node's unbooked grant among their unbooked bytes max-min. The node's
//      immediate credit is not split: its applications borrow it from the
//      node's class.
//
// Integer bytes rounded down throughout, so the credits never add up to
// more than the interval. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "bwman/pipe_credit.h"

namespace shoal::bwman {

constexpr uint64_t kNoCap = std::numeric_limits<uint64_t>::max();

// An application's pool-wide terms on the pipe, in bytes per interval.
struct AppTerms {
  uint64_t booked = 0;
  uint64_t cap = kNoCap;
};

struct RoundInput {
  uint64_t interval_bytes = 0;  // capacity x interval
  double immediate_share = kDefaultImmediateShare;
  std::vector<AppTerms> apps;   // one per application slot
  // demand[node][app]: bytes the node's instance of the application wants
  // in the interval (a row may be shorter than apps: the rest want 0).
  std::vector<std::vector<uint64_t>> demand;

  uint64_t Demand(size_t node, size_t app) const { return app < demand[node].size() ? demand[node][app] : 0; }
};

struct Round {
  Division nodes;  // one credit per node, in input order
  // queued[node][app]: the demand after caps, split into booked and unbooked.
  std::vector<std::vector<Queued>> queued;

  // What each of the node's applications may send in the interval, by
  // slot (immediate left at 0: it stays with the node).
  std::vector<Credit> AppCredits(size_t node) const;
  Credit AppCredit(size_t node, size_t app) const { return AppCredits(node)[app]; }
};

Round DivideRound(const RoundInput& in);

}  // namespace shoal::bwman
