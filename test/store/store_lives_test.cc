// An origin's store started afresh, in a simulated pool (test/store/
// history_pool.h): removed once, removed twice with other replicas each
// life, or put back as it was seconds earlier (a log's tail lost to a
// crash). No period of any life goes missing from the pool's answer.
#include <catch2/catch.hpp>

#include "test/store/history_pool.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

TEST_CASE("Replication: an origin whose store was removed is answered by a replica holding its earlier rows") {
  HistoryPool h(4);
  h.pool.RunFor(15s);
  h.wipe.insert(1);
  h.pool.Restart(1);  // its store created afresh, under a new incarnation
  h.pool.RunFor(10s);
  const uint64_t origin = h.pool.id(1).value;
  auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
  REQUIRE(a.ok());
  // The new store holds 10 s; a replica holds all 25.
  REQUIRE(h.nodes[1]->store->HeldOf(h.pool.id(1))->first_ms > kEpochMs + 14'000);
  CHECK(a->holder.at(origin) != origin);
  CHECK(Samples(*a, origin) + 2 >= h.recorded[1]);
  // The others still from themselves.
  for (size_t i : {0, 2, 3}) CHECK(a->holder.at(h.pool.id(i).value) == h.pool.id(i).value);
}

TEST_CASE("Replication: an origin removed twice is answered whole, though each life chose other replicas") {
  HistoryPool h(6);
  h.pool.RunFor(15s);
  for (int life = 0; life < 2; ++life) {
    h.wipe.insert(1);
    h.pool.Restart(1);  // replicas chosen again from whom it knows first
    h.pool.RunFor(12s);
  }
  const uint64_t origin = h.pool.id(1).value;
  auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
  REQUIRE(a.ok());
  CHECK(Samples(*a, origin) + 3 >= h.recorded[1]);
  CHECK(Samples(*a, origin) <= h.recorded[1]);
  for (size_t i : {0, 2, 3, 4, 5}) {
    CHECK(Samples(*a, h.pool.id(i).value) + 1 >= h.recorded[i] - 1);
    CHECK(Samples(*a, h.pool.id(i).value) <= h.recorded[i]);
  }
}

TEST_CASE("Replication: an origin whose store lost its last periods takes a new incarnation, and no period is lost") {
  HistoryPool h(4);
  h.pool.RunFor(10s);
  auto files = h.Files(1);
  const uint64_t seq_then = h.nodes[1]->store->last_seq();
  h.pool.RunFor(8s);  // 8 more periods, on the replicas
  const uint64_t seq_lost = h.nodes[1]->store->last_seq();
  REQUIRE(seq_lost >= seq_then + 7);
  h.restore[1] = std::move(files);
  h.pool.Restart(1);  // back as it was 8 s ago: those periods are only on the replicas
  REQUIRE(h.nodes[1]->store->last_seq() <= seq_then + 1);
  h.pool.RunFor(15s);
  REQUIRE(h.nodes[1]->replicator->counters().rollbacks == 1);
  const uint64_t origin = h.pool.id(1).value;
  auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
  REQUIRE(a.ok());
  // Every period of every life, from a replica: the lost ones and the new.
  CHECK(a->holder.at(origin) != origin);
  CHECK(Samples(*a, origin) + 2 >= h.recorded[1]);
  CHECK(Samples(*a, origin) <= h.recorded[1]);
  for (size_t k : h.HoldersOf(1)) {
    CHECK(h.nodes[k]->store->HeldOf(h.pool.id(1))->incarnation == h.nodes[1]->store->incarnation());
  }
}
