// A class's demand for the next credit interval, from what the kernel says
// it did in the last one (DESIGN.md section 5). A class that sent less than
// it was allowed, with nothing queued and nothing dropped, wanted what it
// sent. A class held at its limit (queued bytes, drops, or sending at the
// limit) wants more than it sent: at least what it sent plus what is
// queued, `growth` times what it sent, what it sent plus what nobody
// queued in the last round (so that demand moving to a node takes the
// room it left at once), and what it sent plus the part of its
// application's booking that no node claimed in the last round, so that an
// idle booking becomes available within a round or two of the application
// starting to send. Figures are published rounded
// up to 4 significant bits, so that steady traffic does not change them
// every interval. Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace shoal::bwman {

// What a class did in one interval.
struct ClassInterval {
  uint64_t sent = 0;     // bytes sent
  uint64_t dropped = 0;  // packets dropped
  uint64_t backlog = 0;  // bytes queued at the end
  uint64_t limit = 0;    // bytes it was allowed to send (its ceil); 0: unlimited
};

struct DemandOptions {
  double held_at = 0.95;  // sending this fraction of the limit counts as held
  double growth = 2.0;
  uint64_t floor = 1'514;  // one full Ethernet frame: a class never asks less when held
};

// True if the class was held back by its limit.
bool Held(const ClassInterval& c, const DemandOptions& options = {});

// Bytes the class wants in the next interval. `booking_left`: the part of
// the application's pool-wide booking per interval no node claimed in the
// last round (0 for none); `room`: the bytes of the last interval nobody
// queued.
uint64_t EstimateDemand(const ClassInterval& c, uint64_t booking_left, uint64_t room = 0,
                        const DemandOptions& options = {});

// `bytes` rounded up to its 4 most significant bits (at most 1/8 more).
uint64_t Coarsen(uint64_t bytes);

}  // namespace shoal::bwman
