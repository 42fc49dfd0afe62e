// A class's demand for the next credit interval, from what the kernel says
// it did in the last one (DESIGN.md section 5). A class that sent less than
// it was allowed, with nothing queued and nothing dropped, wanted what it
// sent. A class whose queue shrank without drops (its sender slowed or
// stopped: demand that moves away) wants what arrived in the interval plus
// what is still queued, not its limit: claiming the limit while the queue
// drained kept a server's share for a round after its demand had gone. A
// class held at its limit (bytes left queued or dropped: sending
// close to the limit is not enough, since a class granted what it asked
// for sends at its limit, and claiming more would double every claim
// every other round) wants more than it sent: at least its limit plus what
// is queued, `growth` times what it sent, what was offered to it (what it
// sent, what its queue grew by and its drops at the size of the packets it
// sent: a class that starts sending into a full pipe shows its whole rate
// in its first round), what it sent plus what nobody
// queued in the last round (so that demand moving to a node takes the
// room it left at once), and what it sent plus the part of its
// application's booking that no node claimed in the last round. A class
// that starts sending (it sent nothing the interval before) claims that
// part of the booking too, held or not, since it sent for only part of the
// interval: an idle booking is available the round after the application
// starts. Figures are published rounded up to 6 significant
// bits: steady traffic does not change them every interval, and a class
// that is granted what it claimed has at most 1/32 of headroom (the
// headroom of classes that are not held is what a congested pipe loses). Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace shoal::bwman {

// What a class did in one interval.
struct ClassInterval {
  uint64_t sent = 0;     // bytes sent
  uint64_t packets = 0;  // packets sent
  uint64_t dropped = 0;  // packets dropped
  uint64_t backlog = 0;  // bytes queued at the end
  uint64_t backlog_before = 0;  // bytes queued at the start
  uint64_t limit = 0;    // bytes it was allowed to send (its ceil); 0: unlimited
  uint64_t sent_before = 0;  // bytes sent in the interval before
};

struct DemandOptions {
  double growth = 2.0;
  uint64_t floor = 1'514;  // one full Ethernet frame: a class never asks less when held
};

// True if the class was held back by its limit: packets dropped, or a
// queue that did not shrink. A queue that shrank without drops is
// draining: what arrived fitted under the limit.
bool Held(const ClassInterval& c);

// Bytes the class wants in the next interval. `booking_left`: the part of
// the application's pool-wide booking per interval no node claimed in the
// last round (0 for none); `room`: the bytes of the last interval nobody
// queued.
uint64_t EstimateDemand(const ClassInterval& c, uint64_t booking_left, uint64_t room = 0,
                        const DemandOptions& options = {});

// `bytes` rounded up to its `bits` most significant bits (at most
// 1 / 2^(bits - 1) more).
uint64_t Coarsen(uint64_t bytes, int bits = 6);
// `bytes` rounded down to its `bits` most significant bits.
uint64_t CoarsenDown(uint64_t bytes, int bits);

}  // namespace shoal::bwman
