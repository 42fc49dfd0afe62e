// An origin's store started afresh, in a simulated pool (test/store/
// history_pool.h): removed once, removed twice with other replicas each
// life, or put back as it was seconds earlier (a log's tail lost to a
// crash). No period of any life goes missing from the pool's answer, and
// the origin gets its earlier rows back from their holders.
#include <catch2/catch.hpp>

#include "test/store/history_pool.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

namespace {

// The restorer finished with the rows of the first 20 s back, claimed.
void CheckRestored(const HistoryNode& n) {
  CHECK(n.restorer->counters().finished == 1);
  CHECK(n.restorer->counters().rows >= 19);
  CHECK_FALSE(n.store->restoring());
}

// Every one of `nodes` loses its store, one after another, 30 s apart.
void WipeOneAfterAnother(HistoryPool& h, const std::vector<size_t>& nodes) {
  for (size_t k : nodes) {
    h.wipe.insert(k);
    h.pool.Restart(k);
    h.pool.RunFor(30s);
  }
}

}  // namespace

TEST_CASE("Replication: an origin whose store was removed is answered by a replica holding its earlier rows") {
  HistoryPool h(4);
  h.pool.RunFor(15s);
  h.restoring = false;  // as while it is still getting them back
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

  // Asked for sums only (as shoald asks), the rows summed as they arrive,
  // the fullest copy of node 1's first: the sums of the rows kept.
  auto at_once = h.AskAtOnce(0, "gold", kEpochMs, h.Now() - 3000, 60'000,
                             {KeepRows::kAll, KeepRows::kPoolSums, KeepRows::kPerNodeSums});
  for (const auto& r : at_once) REQUIRE(r.ok());
  const QueryAnswer& rows = at_once[0]->result;
  for (bool per_node : {false, true}) {
    const PoolAnswer& summed = *at_once[per_node ? 2 : 1];
    CHECK(summed.result.rows.empty());
    CHECK(summed.rows >= rows.rows.size());  // node 1's rows came from every holder
    const std::vector<SeriesPoint> want = SumSeries(rows, per_node);
    REQUIRE(summed.points.size() == want.size());
    REQUIRE_FALSE(want.empty());
    for (size_t k = 0; k < want.size(); ++k) {
      INFO(k);
      CHECK(summed.points[k].origin == want[k].origin);
      CHECK(summed.points[k].time_ms == want[k].time_ms);
      CHECK(summed.points[k].usage == want[k].usage);
      CHECK(summed.points[k].samples == want[k].samples);
      CHECK(summed.points[k].nodes == want[k].nodes);
    }
  }
}

namespace {

// Node 1's store put back as it was 8 s earlier: taken while open (as a
// crash leaves it) or after the process closed it. Returns the pool after
// it ran on.
void LoseLastPeriods(HistoryPool& h, bool closed) {
  h.pool.RunFor(10s);
  auto files = closed ? h.Closed(h.Files(1)) : h.Files(1);
  const uint64_t seq_then = h.nodes[1]->store->last_seq();
  const uint64_t incarnation = h.nodes[1]->store->incarnation();
  h.pool.RunFor(8s);  // 8 more periods, on the replicas
  REQUIRE(h.nodes[1]->store->last_seq() >= seq_then + 7);
  h.restore[1] = std::move(files);
  h.pool.Restart(1);  // back as it was 8 s ago: those periods are only on the replicas
  REQUIRE(h.nodes[1]->store->last_seq() <= seq_then + 1);
  // Left open: a crash, so a new incarnation at once; closed: when a
  // replica acknowledges more than it holds.
  CHECK((h.nodes[1]->store->incarnation() != incarnation) == !closed);
  h.pool.RunFor(20s);
  CHECK(h.nodes[1]->replicator->counters().rollbacks == (closed ? 1u : 0u));
}

}  // namespace

TEST_CASE("Replication: an origin whose store lost its last periods takes a new incarnation, and no period is lost") {
  for (bool closed : {false, true}) {
    INFO((closed ? "closed, then put back" : "left open by a crash"));
    HistoryPool h(4);
    LoseLastPeriods(h, closed);
    const uint64_t origin = h.pool.id(1).value;
    auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
    REQUIRE(a.ok());
    // Every period of every life, from the origin: the lost ones are back.
    CHECK_FALSE(h.nodes[1]->store->restoring());
    CHECK(a->holder.at(origin) == origin);
    CHECK(Samples(*a, origin) + 3 >= h.recorded[1]);
    CHECK(Samples(*a, origin) <= h.recorded[1]);
    for (size_t k : h.HoldersOf(1)) {
      CHECK(h.nodes[k]->store->HeldOf(h.pool.id(1))->incarnation == h.nodes[1]->store->incarnation());
    }
  }
}

TEST_CASE("Replication: an origin started afresh gets its earlier rows back, so losing their old holders loses none") {
  HistoryPool h(6);
  h.pool.RunFor(20s);
  const std::vector<size_t> old_holders = h.HoldersOf(1);
  REQUIRE(old_holders.size() >= 2);
  // A fresh copy (as after a restore) leaves the replicas counted as
  // holding what they held: no lag is reported while it runs.
  const uint64_t durable = h.nodes[1]->replicator->durable_seq();
  REQUIRE(durable + 2 >= h.nodes[1]->store->last_seq());
  h.nodes[1]->replicator->CopyAfresh();
  CHECK(h.nodes[1]->replicator->durable_seq() == durable);
  CHECK(h.nodes[1]->replicator->replicas().at(0).copying);
  h.wipe.insert(1);
  h.pool.Restart(1);
  h.pool.RunFor(30s);  // settles, asks the pool, reads its holders, copies to its replicas
  HistoryNode& n1 = *h.nodes[1];
  CheckRestored(n1);
  CHECK(n1.store->HeldOf(h.pool.id(1))->first_ms < kEpochMs + 2'000);  // claims its history from the start again
  // Every node that held its earlier rows loses its store.
  WipeOneAfterAnother(h, old_holders);
  auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
  REQUIRE(a.ok());
  for (size_t i = 0; i < 6; ++i) {
    INFO("node " << i);
    CHECK(Samples(*a, h.pool.id(i).value) + 2 >= h.recorded[i]);
    CHECK(Samples(*a, h.pool.id(i).value) <= h.recorded[i]);
  }
}

TEST_CASE("Replication: an origin started afresh while its rows' holders are partitioned away gets them back after the heal") {
  HistoryPool h(6);
  h.pool.RunFor(20s);
  const std::vector<size_t> old_holders = h.HoldersOf(1);
  REQUIRE(old_holders.size() >= 2);
  h.wipe.insert(1);
  h.pool.Restart(1);
  h.pool.RunFor(5s);  // it knows the pool, then the holders are cut off for 90 s (reaped after 60)
  for (size_t k : old_holders) h.pool.network().SetGroup(h.pool.network().node(k).local_endpoint(), 1);
  h.pool.RunFor(90s);
  HistoryNode& n1 = *h.nodes[1];
  CHECK(n1.store->restoring());  // still waiting for the holders it cannot reach
  h.pool.network().Heal();
  h.pool.RunFor(30s);
  CheckRestored(n1);
  // Every old holder loses its store: nothing is lost.
  WipeOneAfterAnother(h, old_holders);
  auto a = h.Ask(0, "gold", kEpochMs, h.Now() + 1000, 60'000);
  REQUIRE(a.ok());
  CHECK(Samples(*a, h.pool.id(1).value) + 2 >= h.recorded[1]);
}

TEST_CASE("History service: an origin's rows go back only to itself, only its own and only from before its new store") {
  HistoryPool h(4);
  h.pool.RunFor(12s);
  const size_t holder = h.HoldersOf(1).at(0);
  HistoryService& service = *h.nodes[holder]->service;
  const NodeId origin = h.pool.id(1), other = h.pool.id(3);
  auto ask = [&](NodeId from, std::string cursor, int64_t before_ms) {
    wire::Request r;
    r.mutable_restore()->set_cursor(std::move(cursor));
    r.mutable_restore()->set_before_ms(before_ms);
    return service.Handle(from, r);
  };
  const int64_t before = kEpochMs + 5'500;
  auto answer = ask(origin, "", before);
  REQUIRE(answer.ok());
  REQUIRE(answer->has_rows());
  CHECK(answer->rows().last());
  REQUIRE(answer->rows().rows_size() > 0);
  for (const auto& row : answer->rows().rows()) {
    auto key = DecodeKey(row.key());
    REQUIRE(key);
    CHECK(key->origin == origin);
    CHECK(key->time_ms < before);
  }
  // Another node's cursor, its own node, or no time: refused.
  auto theirs = ask(other, answer->rows().rows(0).key(), before);
  REQUIRE_FALSE(theirs.ok());
  CHECK_THAT(theirs.error().message, Catch::Contains("another origin"));
  CHECK_FALSE(ask(h.pool.id(holder), "", before).ok());
  CHECK_FALSE(ask(origin, "", 0).ok());
  // Another node asking gets its own rows only.
  auto own = ask(other, "", before);
  REQUIRE(own.ok());
  for (const auto& row : own->rows().rows()) CHECK(DecodeKey(row.key())->origin == other);
}
