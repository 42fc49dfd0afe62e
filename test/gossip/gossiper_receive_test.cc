// The gossiper's receive path: hostile datagrams, replays, bounds on what
// a peer can make a node track, and nodes reaped and taken back.
#include <set>

#include <catch2/catch.hpp>

#include "gossip/gossiper.h"
#include "gossip/sim/sim_network.h"
#include "test/gossip/gossiper_fixture.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace shoal::gossip::testing;

TEST_CASE("hostile datagrams are dropped and counted, never trusted") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  Packet p;
  p.entries.push_back(WireEntry{NodeId{2}, 10, 5, 2, "ok"});
  const std::string good = f.From(2, p, 100);
  f.Deliver(good);
  REQUIRE(f.g->counters().packets_accepted == 1);

  f.Deliver(good);  // replay
  REQUIRE(f.g->counters().dropped_replayed == 1);

  std::string forged = f.From(2, p, 101);
  forged[forged.size() - 3] ^= 1;
  f.Deliver(forged);
  REQUIRE(f.g->counters().dropped_forged == 1);

  f.Deliver(good.substr(0, 20));
  REQUIRE(f.g->counters().dropped_truncated == 1);

  f.Deliver(std::string(kMaxDatagramBytes + 1, 'S'));
  REQUIRE(f.g->counters().dropped_oversized == 1);

  f.Deliver("GET / HTTP/1.1\r\nHost: x\r\n\r\n.................................................");
  REQUIRE(f.g->counters().dropped_foreign == 1);

  // Authentic but not a packet: sealed garbage.
  f.Deliver(Seal(f.keyring, SealHeader{NodeId{2}, 1, 102}, "\xff\xff\xff\xff\xff"));
  REQUIRE(f.g->counters().dropped_malformed == 1);

  // Our own id as the sender.
  f.Deliver(f.From(1, p));
  REQUIRE(f.g->counters().dropped_own == 1);

  // Entries breaking their channel's bounds are dropped one by one.
  Packet q;
  q.entries.push_back(WireEntry{NodeId{3}, 10, 1, 2, std::string(17, 'x')});
  q.entries.push_back(WireEntry{NodeId{3}, 99, 1, 2, "unknown channel"});
  q.entries.push_back(WireEntry{NodeId{3}, channels::kHeartbeat, 1, 2, "not a heartbeat"});
  q.entries.push_back(WireEntry{NodeId{3}, 10, 1, 2, "fine"});
  f.Deliver(f.From(3, q));
  REQUIRE(f.g->counters().entries_oversized == 1);
  REQUIRE(f.g->counters().entries_unknown_channel == 1);
  REQUIRE(f.g->counters().entries_bad_heartbeat == 1);
  REQUIRE(f.g->View(10).Find(NodeId{3})->payload == "fine");
}

TEST_CASE("regression: a seed that is also a live peer got the same packet twice (a replay)") {
  Fixture f;
  f.AddPeers(2, 3);
  f.g->SetSeeds({Endpoint{0x7f000002, 7000}, Endpoint{0x7f000003, 7000}});
  for (int t = 0; t < 200; ++t) {
    f.clock.Advance(milliseconds(20));
    f.g->Tick();
  }
  std::set<std::pair<Endpoint, std::string>> seen;
  for (const auto& sent : f.transport.sent) REQUIRE(seen.insert(sent).second);
}

TEST_CASE("a peer cannot make a node track more than max_nodes origins") {
  Fixture f;
  f.config.max_nodes = 50;
  f.g = std::make_unique<Gossiper>(f.config, NodeIdentity{NodeId{1}, 1, f.transport.local_endpoint()},
                                   f.clock, f.random, f.transport, f.keyring);
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  for (uint64_t batch = 0; batch < 10; ++batch) {
    Packet p;
    for (uint64_t i = 0; i < 20; ++i) {
      p.entries.push_back(WireEntry{NodeId{1000 + batch * 20 + i}, 10, 1, 1, "x"});
      p.liveness.push_back(LivenessItem{NodeId{5000 + batch * 20 + i}, 1});
    }
    f.Deliver(f.From(2, p));
  }
  REQUIRE(f.g->counters().entries_over_limit == 150);
  REQUIRE(f.g->membership().size() <= 50);
}

TEST_CASE("senders past the room of the peer index are dropped and counted, not taken for replays") {
  Fixture f;
  f.config.max_nodes = 2;  // the Gossiper's own index then holds 4 ids
  f.g = std::make_unique<Gossiper>(f.config, NodeIdentity{NodeId{1}, 1, f.transport.local_endpoint()},
                                   f.clock, f.random, f.transport, f.keyring);
  for (uint64_t sender = 2; sender <= 10; ++sender) f.Deliver(f.From(sender, Packet{}));
  REQUIRE(f.g->counters().packets_accepted == 4);
  REQUIRE(f.g->counters().dropped_over_limit == 5);
  REQUIRE(f.g->counters().dropped_replayed == 0);
  REQUIRE(f.g->membership().size() == 2);
  // A known sender's replay is still a replay.
  f.Deliver(f.From(2, Packet{}, 1));
  REQUIRE(f.g->counters().dropped_replayed == 1);
}

TEST_CASE("a datagram that waited before it was read ages what it says by the wait") {
  Fixture f;
  f.AddPeers(2, 2);
  f.clock.Advance(seconds(1));
  Packet p;
  p.liveness.push_back(LivenessItem{NodeId{3}, 0, 0});    // the sender itself
  p.liveness.push_back(LivenessItem{NodeId{2}, 100, 0});  // peer 2, 100 ms before it was sent
  const std::string d = f.From(3, p);
  f.g->OnDatagram(Endpoint{0x7f000003, 7000}, Bytes(d), milliseconds(400));
  const TimePoint now = f.clock.Now();
  const auto allowance = f.config.transit_allowance;
  // The sender was alive when it sent: 400 ms (and the time on the wire) ago.
  REQUIRE(f.g->membership().Find(NodeId{3})->last_seen <= now - milliseconds(400));
  REQUIRE(f.g->membership().Find(NodeId{3})->last_seen >= now - milliseconds(400) - allowance);
  REQUIRE(f.g->membership().Find(NodeId{2})->last_seen == now - milliseconds(500) - allowance);
}

TEST_CASE("regression: a reaped node's recorded packets, replayed, do not bring it back") {
  Fixture f;
  auto heartbeat = [](uint64_t incarnation) {
    Packet p;
    p.entries.push_back(WireEntry{NodeId{2}, channels::kHeartbeat, incarnation, 1,
                                  EncodeHeartbeat(Heartbeat{incarnation, Endpoint{0x7f000002, 7000}, false, {}})});
    return p;
  };
  // Node 2 sends ten packets; this node receives the first five. An
  // attacker records all ten (the others went to other nodes).
  std::vector<std::string> recorded;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    recorded.push_back(f.From(2, heartbeat(1), seq));
    if (seq <= 5) f.Deliver(recorded.back());
  }
  REQUIRE(f.g->membership().IsLive(NodeId{2}));
  // Node 2 dies: failed, then reaped.
  const Duration until_reaped = f.config.reap_after + std::chrono::seconds(10);
  for (Duration t{}; t < until_reaped; t += milliseconds(100)) {
    f.clock.Advance(milliseconds(100));
    f.g->Tick();
  }
  REQUIRE(f.g->membership().Find(NodeId{2}) == nullptr);

  const uint64_t replayed_before = f.g->counters().dropped_replayed;
  for (const std::string& d : recorded) f.Deliver(d);
  REQUIRE(f.g->counters().dropped_replayed == replayed_before + recorded.size());
  REQUIRE(f.g->membership().Find(NodeId{2}) == nullptr);
  f.g->Tick();
  REQUIRE(f.g->membership().Find(NodeId{2}) == nullptr);

  // The same node restarted (a new boot, a newer incarnation) is let in.
  f.Deliver(Seal(f.keyring, SealHeader{NodeId{2}, 2, 1}, EncodePacket(heartbeat(uint64_t{2} << 32))));
  REQUIRE(f.g->membership().IsLive(NodeId{2}));
}

TEST_CASE("a reaped node alive all along (a long partition) is taken back by its fresh packets") {
  Fixture f;
  Packet p;
  p.entries.push_back(WireEntry{NodeId{2}, channels::kHeartbeat, 1, 1,
                                EncodeHeartbeat(Heartbeat{1, Endpoint{0x7f000002, 7000}, false, {}})});
  f.Deliver(f.From(2, p, 5));
  const Duration until_reaped = f.config.reap_after + std::chrono::seconds(10);
  for (Duration t{}; t < until_reaped; t += milliseconds(100)) {
    f.clock.Advance(milliseconds(100));
    f.g->Tick();
  }
  REQUIRE(f.g->membership().Find(NodeId{2}) == nullptr);
  // Over a minute of ticks later, its sequence is far past the floor.
  const uint64_t later = 5 + static_cast<uint64_t>(until_reaped / f.config.period);
  f.Deliver(f.From(2, Packet{}, later));
  REQUIRE(f.g->membership().IsLive(NodeId{2}));
}
