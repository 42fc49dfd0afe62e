#include <numeric>

#include <catch2/catch.hpp>

#include "bwman/pipe_credit.h"
#include "core/random.h"

using namespace shoal;
using namespace shoal::bwman;

namespace {

Division Divide(uint64_t bytes, double share, std::vector<Queued> q) {
  return DivideCredit(bytes, share, q);
}

}  // namespace

TEST_CASE("Pipe credit: booked bytes only, congested, the bookings are granted") {
  // 10,000 bytes this interval; bookings 3,000 + 4,000, nothing unbooked.
  auto d = Divide(10'000, 0.5, {{3'000, 0}, {4'000, 0}});
  REQUIRE(d.credits[0].booked == 3'000);
  REQUIRE(d.credits[1].booked == 4'000);
  REQUIRE_FALSE(d.overbooked);
  // The 3,000 nobody queued become immediate credit at half value, split in two.
  REQUIRE(d.unqueued == 3'000);
  REQUIRE(d.immediate_each == 750);
  REQUIRE(d.credits[0].total() == 3'750);
}

TEST_CASE("Pipe credit: unbooked bytes share what the bookings leave, max-min") {
  // 10,000 bytes; booked 2,000 + 0; unbooked 6,000 + 10,000 = 16,000 for the 8,000 left.
  auto d = Divide(10'000, 0.5, {{2'000, 6'000}, {0, 10'000}});
  REQUIRE(d.unbooked_fraction == Approx(0.5));
  REQUIRE(d.water == 4'000);
  REQUIRE(d.credits[0].booked == 2'000);
  REQUIRE(d.credits[0].unbooked == 4'000);
  REQUIRE(d.credits[1].unbooked == 4'000);
  REQUIRE(d.credits[0].immediate == 0);
  REQUIRE(d.credits[1].immediate == 0);
  REQUIRE(d.credits[0].total() + d.credits[1].total() == 10'000);
  // A participant that queued less than an equal part gets all of it.
  auto small = Divide(10'000, 0.5, {{0, 1'000}, {0, 20'000}, {0, 20'000}});
  REQUIRE(small.credits[0].unbooked == 1'000);
  REQUIRE(small.credits[1].unbooked == 4'500);
  REQUIRE(small.credits[2].unbooked == 4'500);
}

TEST_CASE("Pipe credit: a light pipe grants everything plus devalued immediate credit") {
  // 10,000 bytes, 1,000 queued in all: 9,000 unqueued over the 2 active
  // participants (the idle third gets none: it would waste it).
  for (auto [share, each] : std::vector<std::pair<double, uint64_t>>{{0.5, 2'250}, {0.0, 0}, {1.0, 4'500}}) {
    auto d = Divide(10'000, share, {{100, 400}, {0, 500}, {0, 0}});
    INFO("immediate_share " << share);
    REQUIRE(d.unbooked_fraction == 1);
    REQUIRE(d.credits[0].booked == 100);
    REQUIRE(d.credits[0].unbooked == 400);
    REQUIRE(d.credits[1].unbooked == 500);
    REQUIRE(d.credits[0].immediate == each);
    REQUIRE(d.credits[1].immediate == each);
    REQUIRE(d.credits[2].immediate == 0);
    REQUIRE(d.immediate_each == each);
  }
  // Nobody active: every participant may send immediately.
  auto idle = Divide(10'000, 0.5, {{0, 0}, {0, 0}});
  REQUIRE(idle.credits[0].immediate == 2'500);
  REQUIRE(idle.credits[1].immediate == 2'500);
}

TEST_CASE("Pipe credit: bookings beyond the interval share it in proportion, nothing else goes") {
  auto d = Divide(9'000, 0.5, {{6'000, 5'000}, {6'000, 0}});
  REQUIRE(d.overbooked);
  REQUIRE(d.credits[0].booked == 4'500);
  REQUIRE(d.credits[1].booked == 4'500);
  REQUIRE(d.credits[0].unbooked == 0);
  REQUIRE(d.credits[0].immediate == 0);
}

TEST_CASE("Pipe credit: a node's credit divides among its applications the same way") {
  // The node was granted 6,000; its applications: a booked 1,000 and 2,000
  // queued beyond; b nothing booked, 6,000 queued.
  auto d = Divide(6'000, 1.0, {{1'000, 2'000}, {0, 6'000}});
  REQUIRE(d.credits[0].booked == 1'000);
  REQUIRE(d.credits[0].unbooked == 2'000);  // all it queued: under half of 5,000
  REQUIRE(d.credits[1].unbooked == 3'000);
}

TEST_CASE("Credit account: an overdraft is carried and paid off first") {
  CreditAccount a;
  REQUIRE(a.StartInterval(1'000) == 1'000);
  REQUIRE(a.TrySend(600));
  REQUIRE(a.TrySend(1'500));  // whole packet: 400 of credit left, 1,100 overdrawn
  REQUIRE(a.overdraft() == 1'100);
  REQUIRE_FALSE(a.TrySend(1));  // nothing more this interval
  REQUIRE(a.StartInterval(1'000) == 0);  // pays 1,000 of the debt
  REQUIRE(a.overdraft() == 100);
  REQUIRE_FALSE(a.TrySend(1));
  REQUIRE(a.StartInterval(1'000) == 900);
  REQUIRE(a.overdraft() == 0);
  REQUIRE(a.TrySend(500));
  REQUIRE(a.StartInterval(1'000) == 1'000);
  REQUIRE(a.unused_last_interval() == 400);
}

TEST_CASE("Pipe credit properties over random queues") {
  Random rng(99);
  for (int round = 0; round < 5000; ++round) {
    uint64_t bytes = rng.Below(2'000'000);
    double share = rng.Unit();
    std::vector<Queued> q(1 + rng.Below(64));
    for (auto& x : q) {
      x.booked = rng.Chance(0.5) ? rng.Below(bytes / q.size() + 2) : 0;
      x.unbooked = rng.Chance(0.7) ? rng.Below(bytes / 4 + 2) : 0;
    }
    auto d = DivideCredit(bytes, share, q);
    INFO("round " << round);
    uint64_t queued_grant = 0, immediate = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      const Credit& c = d.credits[i];
      REQUIRE(c.booked <= q[i].booked);
      REQUIRE(c.unbooked <= q[i].unbooked);
      if (!d.overbooked) REQUIRE(c.booked == q[i].booked);  // bookings met when they fit
      queued_grant += c.booked + c.unbooked;
      immediate += c.immediate;
    }
    // Never above the interval's bytes, and the immediate part never above
    // the devalued unqueued bytes.
    REQUIRE(queued_grant <= bytes);
    REQUIRE(static_cast<double>(immediate) <= static_cast<double>(d.unqueued) * share + 1.0);
    REQUIRE(queued_grant + immediate <= bytes);
    // Congested pipes are used up to the rounding of one byte per participant.
    if (d.unbooked_fraction < 1 && !d.overbooked) REQUIRE(queued_grant + q.size() >= bytes);
  }

  // Over any run of intervals an account sends at most one packet more than granted.
  for (int round = 0; round < 200; ++round) {
    CreditAccount a;
    uint64_t granted = 0, sent = 0, largest = 0, lost = 0;
    for (int interval = 0; interval < 50; ++interval) {
      uint64_t credit = rng.Below(20'000);
      granted += credit;
      a.StartInterval(credit);
      lost += a.unused_last_interval();  // use it or lose it
      for (int p = 0; p < 40; ++p) {
        uint64_t size = 64 + rng.Below(1'437);
        if (a.TrySend(size)) {
          sent += size;
          largest = std::max(largest, size);
        }
      }
      REQUIRE(sent <= granted + largest);
      // Every granted byte is sent, still available, lost unused, or owed.
      REQUIRE(granted + a.overdraft() == sent + a.available() + lost);
    }
  }
}
