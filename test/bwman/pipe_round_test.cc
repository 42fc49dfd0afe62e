#include <algorithm>
#include <numeric>

#include <catch2/catch.hpp>

#include "bwman/demand.h"
#include "bwman/pipe_round.h"
#include "core/random.h"

using namespace shoal;
using namespace shoal::bwman;

namespace {

uint64_t AppTotal(const Round& r, size_t app) {
  uint64_t sum = 0;
  for (size_t n = 0; n < r.queued.size(); ++n) sum += r.AppCredit(n, app).total();
  return sum;
}

uint64_t Demand(const RoundInput& in, size_t app) {
  uint64_t sum = 0;
  for (const auto& row : in.demand) sum += app < row.size() ? row[app] : 0;
  return sum;
}

}  // namespace

TEST_CASE("Max-min shares: the small wants are met and the rest share equally") {
  const std::vector<uint64_t> wants{100, 5'000, 300, 5'000};
  REQUIRE(MaxMinShares(10'000, wants) == std::vector<uint64_t>{100, 4'800, 300, 4'800});
  REQUIRE(MaxMinShares(100'000, wants) == wants);
  REQUIRE(MaxMinShares(0, wants) == std::vector<uint64_t>{0, 0, 0, 0});
  REQUIRE(MaxMinShares(7, std::vector<uint64_t>{10, 10}) == std::vector<uint64_t>{3, 3});
}

TEST_CASE("Pipe round: a booking follows the application's traffic to the node that sends") {
  // 100,000 bytes; web booked 40,000 sends only from node 1; batch (no
  // booking) wants 100,000 on each of the two nodes.
  RoundInput in;
  in.interval_bytes = 100'000;
  in.apps = {{40'000, kNoCap}, {0, kNoCap}};
  in.demand = {{0, 100'000}, {90'000, 100'000}};
  Round r = DivideRound(in);
  REQUIRE(r.queued[1][0].booked == 40'000);
  REQUIRE(r.queued[0][0].booked == 0);
  REQUIRE(r.AppCredit(1, 0).total() >= 40'000);
  // The rest (60,000) goes max-min to the nodes' unbooked bytes (100,000
  // and 150,000): 30,000 each; node 1's is shared by web and batch.
  REQUIRE(r.AppCredit(1, 0).unbooked == 15'000);
  REQUIRE(r.AppCredit(0, 1).total() + r.AppCredit(1, 1).total() == 45'000);
}

TEST_CASE("Pipe round: a cap holds an application pool-wide however many nodes send") {
  RoundInput in;
  in.interval_bytes = 1'000'000;
  in.apps = {{0, 30'000}};
  in.demand = {{50'000}, {50'000}, {5'000}};
  Round r = DivideRound(in);
  REQUIRE(AppTotal(r, 0) == 30'000);
  REQUIRE(r.AppCredit(2, 0).total() == 5'000);
}

TEST_CASE("Pipe round properties: never more than the interval, bookings met when they fit") {
  Random random(GENERATE(1, 2, 3, 4, 5, 6, 7, 8));
  for (int trial = 0; trial < 200; ++trial) {
    RoundInput in;
    in.interval_bytes = 1 + random.Below(10'000'000);
    in.immediate_share = random.Unit();
    const size_t apps = 1 + random.Below(6), nodes = 1 + random.Below(40);
    uint64_t booked_sum = 0;
    for (size_t a = 0; a < apps; ++a) {
      AppTerms t;
      if (random.Below(2) != 0) t.booked = random.Below(in.interval_bytes / apps + 1);
      if (random.Below(4) == 0) t.cap = t.booked + random.Below(in.interval_bytes);
      booked_sum += t.booked;
      in.apps.push_back(t);
    }
    for (size_t n = 0; n < nodes; ++n) {
      std::vector<uint64_t> row(apps);
      for (auto& d : row) d = random.Below(3) == 0 ? 0 : random.Below(in.interval_bytes / 4 + 1);
      in.demand.push_back(std::move(row));
    }
    const Round r = DivideRound(in);
    uint64_t total = 0;
    for (size_t n = 0; n < nodes; ++n) {
      uint64_t apps_sum = 0;
      for (size_t a = 0; a < apps; ++a) apps_sum += r.AppCredit(n, a).total();
      const Credit& node = r.nodes.credits[n];
      INFO("trial " << trial << " node " << n);
      REQUIRE(apps_sum <= node.booked + node.unbooked);
      total += node.total();
    }
    REQUIRE(total <= in.interval_bytes);
    REQUIRE(booked_sum <= in.interval_bytes);  // bookings were drawn to fit
    for (size_t a = 0; a < apps; ++a) {
      const uint64_t wanted = std::min(Demand(in, a), in.apps[a].cap);
      // Met up to max-min rounding: under one byte per node.
      REQUIRE(AppTotal(r, a) + nodes >= std::min(wanted, in.apps[a].booked));
      REQUIRE(AppTotal(r, a) <= wanted);
    }
  }
}

TEST_CASE("Demand: what a free class sent, more for one held at its limit") {
  REQUIRE(EstimateDemand({.sent = 4'000, .limit = 100'000}, 0) == 4'000);
  REQUIRE(EstimateDemand({.sent = 4'000, .limit = 0, .sent_before = 1}, 50'000, 90'000) == 4'000);  // unlimited: never held
  // Held by its queue: at least its limit and its queue, or twice what it sent.
  REQUIRE(EstimateDemand({.sent = 10'000, .backlog = 3'000, .limit = 50'000}, 0) == 53'000);
  REQUIRE(EstimateDemand({.sent = 40'000, .backlog = 3'000, .limit = 40'000}, 0) == 80'000);
  // Sending at its limit with nothing left over is not held.
  REQUIRE(EstimateDemand({.sent = 1'514, .limit = 1'514, .sent_before = 1'400}, 80'000) == 1'514);
  // Starting to send, held or not: it claims the booking nobody claimed.
  REQUIRE(EstimateDemand({.sent = 1'514, .limit = 100'000}, 80'000) == 81'514);
  // Held: a booked application asks the booking nobody claimed.
  REQUIRE(EstimateDemand({.sent = 1'500, .backlog = 14, .limit = 1'514}, 80'000) == 81'500);
  // Held where the last round left room: it claims the room at once.
  REQUIRE(EstimateDemand({.sent = 1'514, .backlog = 1, .limit = 1'514}, 0, 500'000) == 501'514);
  // Drops alone count as held; a silent class held by drops asks for what
  // was offered to it: three frames.
  REQUIRE(EstimateDemand({.dropped = 3, .limit = 1'514}, 0) == 3 * 1'514);
  // A queue that shrank without drops is draining, not held: its sender
  // stopped (it wants what is left) or slowed (what arrived, and what is left).
  REQUIRE(EstimateDemand({.sent = 40'000, .backlog = 10'000, .backlog_before = 50'000, .limit = 40'000}, 0, 90'000) ==
          10'000);
  REQUIRE(EstimateDemand({.sent = 40'000, .backlog = 10'000, .backlog_before = 30'000, .limit = 40'000}, 0) == 30'000);
  // A class that starts sending into a full pipe: what was offered to it
  // (sent, queued, and 160 drops of its 1,000-byte packets) at once.
  REQUIRE(EstimateDemand({.sent = 3'000, .packets = 3, .dropped = 160, .backlog = 32'000, .limit = 1'514}, 0) ==
          195'000);
  // A queue that did not shrink, or drops while it shrank, is held.
  REQUIRE(EstimateDemand({.sent = 40'000, .backlog = 30'000, .backlog_before = 30'000, .limit = 40'000}, 0) == 80'000);
  REQUIRE(EstimateDemand({.sent = 40'000, .dropped = 2, .backlog = 10'000, .backlog_before = 30'000, .limit = 40'000},
                         0) == 80'000);
}

TEST_CASE("Coarsen: six significant bits, never down, at most a 32nd up") {
  REQUIRE(Coarsen(0) == 0);
  REQUIRE(Coarsen(15, 4) == 15);
  REQUIRE(Coarsen(16, 4) == 16);
  REQUIRE(Coarsen(17, 4) == 18);
  REQUIRE(Coarsen(1'000'000, 4) == 1'048'576);
  REQUIRE(Coarsen(1'000'000) == 1'015'808);
  Random random(9);
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t x = random.Below(uint64_t{1} << 40);
    const uint64_t c = Coarsen(x);
    REQUIRE(c >= x);
    REQUIRE(static_cast<double>(c) <= static_cast<double>(x) * (1 + 1.0 / 32) + 1);
    REQUIRE(Coarsen(c) == c);
  }
}
