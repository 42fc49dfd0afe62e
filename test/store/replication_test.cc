// History across a simulated pool, each node with a real RocksDB store in a
// scratch directory: every period reaches `copies` replicas; a dead node's
// history is answered by its replicas, once; a failed replica is replaced
// and the replacement gets a full copy; a restarted origin resumes where it
// was acknowledged; a dead origin's history is copied back up to three
// holders, again after each further failure. And one replica's group
// commit, call by call. Stores started afresh: store_lives_test.cc.
#include <catch2/catch.hpp>

#include "test/store/history_pool.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

TEST_CASE("Replication: every period reaches two replicas within a second") {
  HistoryPool h(6);
  h.pool.RunFor(20s);
  for (size_t i = 0; i < 6; ++i) {
    const auto& r = *h.nodes[i]->replicator;
    INFO("node " << i);
    REQUIRE(r.replicas().size() == 2);
    // The lag is at most the batch recorded in the last second.
    REQUIRE(r.durable_seq() + 1 >= h.nodes[i]->store->last_seq());
    REQUIRE(h.HoldersOf(i).size() == 2);
  }
  // Replicas are spread: no node holds everyone's rows.
  std::map<size_t, int> load;
  for (size_t i = 0; i < 6; ++i) {
    for (size_t k : h.HoldersOf(i)) ++load[k];
  }
  for (const auto& [node, count] : load) REQUIRE(count < 5);
}

TEST_CASE("Replication: with group commit, one sync a second acknowledges the appends of every origin held") {
  HistoryPool h(6, 1s);
  h.pool.RunFor(20s);
  uint64_t commits = 0;
  uint64_t answered = 0;
  for (size_t i = 0; i < 6; ++i) {
    const auto& r = *h.nodes[i]->replicator;
    const auto& service = h.nodes[i]->service->counters();
    INFO("node " << i << ": " << service.commits << " commits answered " << service.held_answered << " appends");
    REQUIRE(r.replicas().size() == 2);
    REQUIRE(h.HoldersOf(i).size() == 2);
    // Acknowledged within a window and a round trip of the last batch.
    REQUIRE(r.durable_seq() + 2 >= h.nodes[i]->store->last_seq());
    // At most one group commit a window; every one reached the disk.
    REQUIRE(service.commits <= 21);
    REQUIRE(h.nodes[i]->store->counters().log_syncs >= service.commits);
    commits += service.commits;
    answered += service.held_answered;
  }
  // Every node holds two origins on average: a sync answers more than one.
  REQUIRE(commits > 0);
  REQUIRE(answered >= commits * 3 / 2);
}

TEST_CASE("History service: a copy's sync also answers the held appends and nothing waits once group commit ends") {
  ManualClock clock;
  gossip::SimNetwork net(clock, 1);
  gossip::LinkModel link;
  link.latency = 1ms;
  link.jitter = Duration::zero();
  net.SetDefaultLink(link);
  const Endpoint a = net.AddNode().local_endpoint();
  const Endpoint b = net.AddNode().local_endpoint();
  const Endpoint c = net.AddNode().local_endpoint();
  gossip::SimStreamHub hub(net);
  gossip::SimStreams& from_a = hub.Attach(a, NodeId{1});
  gossip::SimStreams& at_b = hub.Attach(b, NodeId{2});
  gossip::SimStreams& from_c = hub.Attach(c, NodeId{3});

  testing::TempDir dir;
  auto open = [&](uint64_t id, bool sync) {
    StoreOptions o;
    o.path = dir.File("node-" + std::to_string(id));
    o.sync_replica_writes = sync;
    auto store = HistoryStore::Open(NodeId{id}, "n" + std::to_string(id), o);
    REQUIRE(store.ok());
    return std::move(*store);
  };
  auto origin_a = open(1, false);
  auto replica = open(2, true);
  auto origin_c = open(3, false);
  for (int64_t t = 0; t < 3; ++t) {
    Period p;
    p.time_ms = kEpochMs + t * 1000;
    p.node = Sample{.usage = 100, .capacity = 1000};
    REQUIRE(origin_a->Record(p).ok());
    REQUIRE(origin_c->Record(p).ok());
  }
  HistoryService service(*replica, at_b);
  service.SetGroupCommit(clock, 1s);
  service.Register();

  // Sends A's log batch `seq` to B; its answer lands in `answered`.
  std::vector<std::pair<uint64_t, TimePoint>> answered;
  auto append = [&](uint64_t seq) {
    wire::Request req;
    *req.mutable_append() =
        ToWire(AppendBatches{NodeId{1}, "n1", origin_a->incarnation(), {origin_a->LogAfter(seq - 1, 1 << 20)->front()}});
    from_a.Call(b, gossip::StreamService::kHistory, req.SerializeAsString(), 5s, [&, seq](Result<std::string> r) {
      REQUIRE(r.ok());
      answered.emplace_back(seq, clock.Now());
    });
  };
  const uint64_t syncs_before = replica->counters().log_syncs;
  append(1);
  net.RunUntil(clock.Now() + 100ms);
  REQUIRE(answered.empty());  // held for the group commit

  // A copy of C's rows is synced at once, and that sync answers A's append.
  bool done = false;
  auto rows = origin_c->RowsAfter(NodeId{3}, "", 1 << 20, &done);
  REQUIRE(done);
  wire::Request req;
  *req.mutable_copy() =
      ToWire(CopySlice{NodeId{3}, "n3", origin_c->incarnation(), std::move(rows), true, 3, kEpochMs + 2000, {}});
  bool copied = false;
  from_c.Call(b, gossip::StreamService::kHistory, req.SerializeAsString(), 5s, [&](Result<std::string> r) {
    REQUIRE(r.ok());
    copied = true;
  });
  net.RunUntil(clock.Now() + 100ms);
  REQUIRE(copied);
  REQUIRE(answered.size() == 1);
  REQUIRE(replica->counters().log_syncs == syncs_before + 1);
  REQUIRE(service.counters().held_answered == 1);
  REQUIRE(service.counters().commits == 0);
  REQUIRE(replica->HeldOf(NodeId{1})->applied_seq == 1);

  // Held again until the window ends...
  append(2);
  net.RunUntil(clock.Now() + 500ms);
  service.Tick();
  REQUIRE(answered.size() == 1);
  net.RunUntil(clock.Now() + 600ms);
  service.Tick();
  net.RunUntil(clock.Now() + 10ms);
  REQUIRE(answered.size() == 2);
  REQUIRE(service.counters().commits == 1);
  // ... and, once group commit ends (a leaving daemon), answered at once.
  service.EndGroupCommit();
  const TimePoint sent = clock.Now();
  append(3);
  net.RunUntil(clock.Now() + 100ms);
  REQUIRE(answered.size() == 3);
  REQUIRE(answered.back().second - sent < 10ms);
  REQUIRE(replica->counters().log_syncs == syncs_before + 3);
  REQUIRE(replica->HeldOf(NodeId{1})->applied_seq == 3);
}

TEST_CASE("Replication: a dead node's history is answered by a replica, every sample once") {
  HistoryPool h(5);
  h.pool.RunFor(15s);
  const int64_t from = kEpochMs, to = h.Now() + 1000;
  auto at_to = h.recorded;  // periods recorded by `to`, give or take the one just due
  h.pool.Crash(2);
  const uint64_t recorded = h.recorded[2];
  h.pool.RunFor(5s);  // the pool notices
  auto a = h.Ask(0, "gold", from, to, 60'000);
  REQUIRE(a.ok());
  const uint64_t origin = h.pool.id(2).value;
  REQUIRE(a->holder.at(origin) != origin);
  REQUIRE(a->names.at(origin) == "n2");
  // The replica may miss at most the batch in flight when the node died.
  REQUIRE(Samples(*a, origin) + 1 >= recorded);
  REQUIRE(Samples(*a, origin) <= recorded);
  // Each live origin once, from itself.
  for (size_t i : {0, 1, 3, 4}) {
    const uint64_t id = h.pool.id(i).value;
    REQUIRE(a->holder.at(id) == id);
    REQUIRE(Samples(*a, id) >= at_to[i]);
    REQUIRE(Samples(*a, id) <= at_to[i] + 1);
  }
  REQUIRE(a->failures.empty());
}

TEST_CASE("Replication: a failed replica is replaced and the newcomer gets every row") {
  HistoryPool h(6);
  h.pool.RunFor(15s);
  auto holders = h.HoldersOf(0);
  REQUIRE(holders.size() == 2);
  const size_t victim = holders[0];
  h.pool.Crash(victim);
  h.pool.RunFor(10s);
  auto& r = *h.nodes[0]->replicator;
  REQUIRE(r.counters().replaced == 1);
  REQUIRE(r.replicas().size() == 2);
  for (const auto& v : r.replicas()) REQUIRE(v.id != h.pool.id(victim));
  REQUIRE(r.durable_seq() + 1 >= h.nodes[0]->store->last_seq());
  // The newcomer holds node 0's rows from the very first period.
  for (const auto& v : r.replicas()) {
    auto held = h.nodes[gossip::SimPool::IndexOf(v.id)]->store->HeldOf(h.pool.id(0));
    REQUIRE(held);
    REQUIRE(held->first_ms < kEpochMs + 2000);
  }
  REQUIRE(r.counters().copies >= 1);
}

TEST_CASE("Replication: a restarted origin resumes from its acknowledgements, nothing lost") {
  HistoryPool h(4);
  h.pool.RunFor(10s);
  const uint64_t before = h.nodes[1]->store->last_seq();
  h.pool.Restart(1);
  h.pool.RunFor(10s);
  auto& r = *h.nodes[1]->replicator;  // a new life
  REQUIRE(h.nodes[1]->store->last_seq() > before + 5);
  REQUIRE(r.replicas().size() == 2);
  REQUIRE(r.counters().copies == 0);  // resumed with the log, no copy
  REQUIRE(r.durable_seq() + 1 >= h.nodes[1]->store->last_seq());
  for (size_t k : h.HoldersOf(1)) REQUIRE(h.nodes[k]->store->HeldOf(h.pool.id(1))->applied_seq + 1 >= h.nodes[1]->store->last_seq());
}

TEST_CASE("Replication: a dead node's history goes back to three copies, again after a further failure") {
  HistoryPool h(7);
  h.pool.RunFor(15s);
  const uint64_t recorded = h.recorded[0];
  h.pool.Crash(0);
  h.pool.RunFor(15s);  // noticed (failure timeout), then a custodian round
  auto holders = h.HoldersOf(0);
  INFO("holders after the first failure: " << holders.size());
  REQUIRE(holders.size() >= 3);
  auto complete = [&](size_t k) {
    auto held = h.nodes[k]->store->HeldOf(h.pool.id(0));
    return held && held->applied_seq + 1 >= recorded && held->first_ms < kEpochMs + 2000;
  };
  size_t full = 0;
  for (size_t k : holders) full += complete(k) ? 1 : 0;
  REQUIRE(full >= 3);
  // One of them fails too: the others copy on.
  h.pool.Crash(holders[0]);
  h.pool.RunFor(15s);
  full = 0;
  for (size_t k : h.HoldersOf(0)) {
    if (k != holders[0] && h.pool.running(k) && complete(k)) ++full;
  }
  REQUIRE(full >= 3);
  // Answered once, complete, from a copy.
  auto a = h.Ask(1, "gold", kEpochMs, h.Now(), 60'000);
  REQUIRE(a.ok());
  REQUIRE(Samples(*a, h.pool.id(0).value) + 1 >= recorded);
  REQUIRE(Samples(*a, h.pool.id(0).value) <= recorded);
}

TEST_CASE("History service: deletion and archiving only as signed by a trusted admin key, once each") {
  ManualClock clock;
  gossip::SimNetwork net(clock, 1);
  const Endpoint a = net.AddNode().local_endpoint();
  const Endpoint b = net.AddNode().local_endpoint();
  gossip::SimStreamHub hub(net);
  gossip::SimStreams& from_a = hub.Attach(a, NodeId{1});
  gossip::SimStreams& at_b = hub.Attach(b, NodeId{2});
  testing::TempDir dir;
  StoreOptions o;
  o.path = dir.File("b");
  auto store = HistoryStore::Open(NodeId{2}, "n2", o);
  REQUIRE(store.ok());
  for (int64_t t = 0; t < 3; ++t) {
    Period p;
    p.time_ms = kEpochMs + t * 1000;
    p.node = Sample{.usage = 100, .capacity = 1000};
    REQUIRE((*store)->Record(p).ok());
  }
  HistoryService service(**store, at_b, dir.File("archive"));
  service.Register();
  auto call = [&](const wire::Request& req) {
    std::optional<Result<std::string>> out;
    from_a.Call(b, gossip::StreamService::kHistory, req.SerializeAsString(), 5s,
                [&](Result<std::string> r) { out = std::move(r); });
    net.RunUntil(clock.Now() + 100ms);
    REQUIRE(out.has_value());
    return std::move(*out);
  };
  wire::Request del;
  del.mutable_delete_()->set_by("a pool member");  // every origin, every row
  wire::Request archive;
  archive.mutable_archive()->set_before_ms(kEpochMs + 10'000);

  // A node with no admin keys takes neither.
  REQUIRE_THAT(call(del).error().message, Catch::Contains("trusts no admin key"));

  const std::string key_file = dir.File("admin.key");
  auto pub_hex = gossip::WriteNewAdminKey(key_file);
  REQUIRE(pub_hex.ok());
  auto signer = gossip::AdminSigner::Load(key_file);
  REQUIRE(signer.ok());
  const int64_t now = kEpochMs + 60'000;
  gossip::AdminVerifier verifier({signer->public_key()}, [&] { return now; });
  service.SetAdminVerifier(&verifier);

  // Holding the pool key (the streams) is not enough: unsigned, refused.
  REQUIRE_THAT(call(del).error().message, Catch::Contains("not signed by an admin key"));
  REQUIRE_THAT(call(archive).error().message, Catch::Contains("not signed by an admin key"));
  REQUIRE((*store)->counters().rows_written > 0);

  // Signed: what was signed is applied, not the relay's fields.
  wire::Delete only_app;
  only_app.set_app("no-such-app");
  del.set_signed_action(signer->Sign("history-delete", only_app.SerializeAsString(), now));
  auto deleted = call(del);
  REQUIRE(deleted.ok());
  wire::Response r;
  REQUIRE(r.ParseFromString(*deleted));
  REQUIRE(r.deleted().rows() == 0);  // only that application's rows, and it has none
  // The same signed request, replayed: refused.
  REQUIRE_THAT(call(del).error().message, Catch::Contains("replay"));
  // A signed deletion offered as an archive request: refused.
  archive.set_signed_action(signer->Sign("history-delete", only_app.SerializeAsString(), now));
  REQUIRE_THAT(call(archive).error().message, Catch::Contains("offered as a history-archive"));
  wire::ArchiveRequest before;
  before.set_before_ms(kEpochMs + 10'000);
  archive.set_signed_action(signer->Sign("history-archive", before.SerializeAsString(), now));
  auto archived = call(archive);
  REQUIRE(archived.ok());
  REQUIRE(r.ParseFromString(*archived));
  REQUIRE(r.archived().rows() > 0);
}
