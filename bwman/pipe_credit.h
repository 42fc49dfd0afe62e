// Pipe credits (DESIGN.md section 5). Each interval every node publishes, per
// pipe, the bytes it has queued that its applications' bookings cover
// (booked) and the rest (unbooked). From everyone's figures every node
// computes the same division of the interval's bytes (capacity x interval)
// and takes its own row:
//
//   total  the booked and unbooked bytes queued across the participants;
//   spend  booked bytes first (scaled down only if the bookings themselves
//          exceed the interval); then, if everything queued fits, all of
//          it; otherwise what the bookings leave is shared max-min over the
//          participants' unbooked bytes: those that queued less than an
//          equal part get all of it, the others the same amount each (a
//          node's claim is an estimate that overshoots when it is held back,
//          and a proportional division gave that overshoot to nodes that
//          could not use it: 93% of a pipe used at 128 simulated nodes);
//   share  when everything fitted, the bytes nobody queued are shared
//          equally among the active participants (those that queued
//          something; all of them when none did) as immediate credit,
//          devalued by the pipe's immediate_share (0: always queue, 1:
//          always take the chance), because nobody knows when in the
//          interval they will be spent.
//
// The same division splits one node's credit among its applications.
// Integer bytes; amounts are rounded down, so the credits never add up to
// more than the interval's bytes. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace shoal::bwman {

constexpr double kDefaultImmediateShare = 0.5;

struct Queued {
  uint64_t booked = 0;
  uint64_t unbooked = 0;
};

struct Credit {
  uint64_t booked = 0;     // granted to booked bytes
  uint64_t unbooked = 0;   // granted to unbooked bytes
  uint64_t immediate = 0;  // devalued share of what nobody queued
  uint64_t total() const { return booked + unbooked + immediate; }
};

struct Division {
  uint64_t interval_bytes = 0;
  uint64_t booked = 0, unbooked = 0;  // queued across all participants
  bool overbooked = false;            // bookings alone exceeded the interval
  double unbooked_fraction = 0;       // granted / queued for unbooked bytes
  uint64_t water = 0;                 // congested: what each held-back participant got
  uint64_t unqueued = 0;              // interval bytes nobody queued
  uint64_t immediate_each = 0;
  std::vector<Credit> credits;  // one per participant, in input order
};

// x * y / z rounded down, without overflow. REQUIRES: z > 0.
uint64_t MulDiv(uint64_t x, uint64_t y, uint64_t z);

// Max-min: shares `total` among `wants` so that nobody gets more than it
// wants and those cut short all get the same (rounded down). Returns the
// shares in input order; they add up to min(total, sum of wants) less the
// rounding, at most wants.size() - 1 bytes.
std::vector<uint64_t> MaxMinShares(uint64_t total, std::span<const uint64_t> wants);

// REQUIRES: 0 <= immediate_share <= 1 (clamped otherwise).
Division DivideCredit(uint64_t interval_bytes, double immediate_share,
                      std::span<const Queued> participants);

// One participant's spending of its credit. Only whole packets are sent, so
// a packet may go out while any credit is left, and the part beyond the
// credit is an overdraft. The overdraft is carried and paid off first from
// the next intervals' credit, so over any run of intervals the bytes sent
// never exceed the credit granted by more than one packet.
class CreditAccount {
 public:
  // Starts an interval granting `credit` bytes. Returns what is spendable.
  uint64_t StartInterval(uint64_t credit);
  // True if the packet may be sent now (it is then charged).
  bool TrySend(uint64_t bytes);

  uint64_t available() const { return available_; }
  uint64_t overdraft() const { return overdraft_; }
  uint64_t unused_last_interval() const { return unused_last_; }

 private:
  uint64_t available_ = 0;
  uint64_t overdraft_ = 0;
  uint64_t unused_last_ = 0;
};

}  // namespace shoal::bwman
