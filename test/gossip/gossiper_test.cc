#include <map>
#include <set>
#include <utility>

#include <catch2/catch.hpp>

#include "gossip/gossiper.h"
#include "gossip/sim/sim_network.h"
#include "test/gossip/gossiper_fixture.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace shoal::gossip::testing;

namespace {

// The entries the fixture's node sent to `to` with TTL 1 (repairs and
// full-state answers), as (origin, channel) -> version.
std::map<std::pair<uint64_t, uint32_t>, uint64_t> SentOnce(Fixture& f, const Endpoint& to) {
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> out;
  for (auto& [dest, d] : f.transport.sent) {
    auto o = Open(f.keyring, Bytes(d));
    auto p = DecodePacket(Bytes(o->plaintext));
    for (const auto& e : p->entries) {
      if (dest == to && e.ttl == 1) out[{e.origin.value, e.channel}] = e.version;
    }
  }
  return out;
}

constexpr Endpoint kPeer3{0x7f000003, 7000};

// Peer 3's digest says it holds `held` (ids with version sums); what the
// node sends it once at its next tick.
std::map<std::pair<uint64_t, uint32_t>, uint64_t> AnswerTo3(Fixture& f, std::vector<LivenessItem> held) {
  Packet digest;
  digest.liveness.push_back(LivenessItem{NodeId{3}, 0, 0});
  digest.liveness.insert(digest.liveness.end(), held.begin(), held.end());
  f.g->OnDatagram(kPeer3, Bytes(f.From(3, digest)));
  f.transport.sent.clear();
  f.g->Tick();
  return SentOnce(f, kPeer3);
}

}  // namespace

TEST_CASE("channel registration checks its code and payload bound") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status"}, nullptr, nullptr).ok());
  REQUIRE_FALSE(f.g->RegisterChannel(ChannelSpec{10, "again"}, nullptr, nullptr).ok());
  REQUIRE_FALSE(f.g->RegisterChannel(ChannelSpec{1, "heartbeat"}, nullptr, nullptr).ok());
  ChannelSpec huge{11, "huge"};
  huge.max_payload = kMaxPayloadBytes + 1;
  auto s = f.g->RegisterChannel(huge, nullptr, nullptr);
  REQUIRE_FALSE(s.ok());
  REQUIRE(s.error().message.find("huge") != std::string::npos);
}

TEST_CASE("received entries are stored, forwarded with TTL-1, and shown in the view") {
  Fixture f;
  int calls = 0;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status"}, nullptr,
                               [&](const ChannelView& v) {
                                 ++calls;
                                 REQUIRE(v.Find(NodeId{2}) != nullptr);
                               })
              .ok());
  f.AddPeers(2, 3);
  Packet p;
  p.entries.push_back(WireEntry{NodeId{2}, 10, 5, 3, "load=0.5"});
  f.Deliver(f.From(2, p));
  // More news before the next tick: the subscriber still runs once.
  p.entries[0].version = 6;
  f.Deliver(f.From(2, p));
  f.g->Tick();
  REQUIRE(calls == 1);
  f.g->Tick();
  REQUIRE(calls == 1);  // nothing changed since
  auto v = f.g->View(10);
  REQUIRE(v.Find(NodeId{2})->payload == "load=0.5");
  REQUIRE(v.Find(NodeId{2})->version == 6);
  // Forwarded: the first packet carries it with TTL 3-1 = 2.
  bool forwarded = false;
  for (const Packet& sent : f.SentPackets()) {
    for (const auto& e : sent.entries) {
      if (e.channel == 10 && e.origin == NodeId{2}) {
        forwarded = true;
        REQUIRE(e.ttl <= 2);
      }
    }
  }
  REQUIRE(forwarded);
  REQUIRE(f.g->counters().entries_new >= 2);
}

TEST_CASE("a channel of a second's period tells news at its period, or at the next tick with kPromptView") {
  for (uint32_t flags : {uint32_t{kNoFlags}, uint32_t{kPromptView}}) {
    Fixture f;
    int calls = 0;
    REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", std::chrono::seconds(1), 256, flags}, nullptr,
                                 [&](const ChannelView&) { ++calls; })
                .ok());
    f.AddPeers(2, 1);
    f.g->Tick();
    const int before = calls;
    // Ten updates from the peer, one per tick, within 200 ms.
    for (uint64_t version = 5; version < 15; ++version) {
      Packet p;
      p.entries.push_back(WireEntry{NodeId{2}, 10, version, 3, "load=" + std::to_string(version)});
      f.Deliver(f.From(2, p));
      f.clock.Advance(std::chrono::milliseconds(20));
      f.g->Tick();
    }
    INFO("flags " << flags);
    if (flags == kPromptView) {
      CHECK(calls - before == 10);
    } else {
      CHECK(calls - before <= 1);  // at most one period's end within the 200 ms
    }
  }
}

TEST_CASE("PublishNow has the publisher asked at the next tick, and the caller leads the channel's phase") {
  Fixture f;
  int asked = 0;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", std::chrono::seconds(1), 256},
                               [&]() -> std::optional<std::string> { return "figures " + std::to_string(++asked); },
                               nullptr)
              .ok());
  auto tick_for = [&](std::chrono::milliseconds d) {
    for (auto t = std::chrono::milliseconds(0); t < d; t += std::chrono::milliseconds(20)) {
      f.clock.Advance(std::chrono::milliseconds(20));
      f.g->Tick();
    }
  };
  f.g->Tick();  // the first publication, at once
  REQUIRE(asked == 1);
  tick_for(std::chrono::milliseconds(100));
  const int before = asked;
  f.g->PublishNow(10);
  f.g->Tick();
  CHECK(asked == before + 1);
  // The caller asks once a second: the channel adds no publication of its
  // own in between...
  for (int second = 0; second < 5; ++second) {
    const int at = asked;
    tick_for(std::chrono::milliseconds(1000));
    CHECK(asked == at);
    f.g->PublishNow(10);
    f.g->Tick();
  }
  // ...and publishes by itself a period and a half after the caller stops.
  const int stopped = asked;
  tick_for(std::chrono::milliseconds(1400));
  CHECK(asked == stopped);
  tick_for(std::chrono::milliseconds(200));
  CHECK(asked == stopped + 1);
  f.g->PublishNow(999);  // unknown: nothing happens
}

TEST_CASE("a component between DeliverViews and Tick sees the tick's news and publishes into the tick's packet") {
  Fixture f;
  std::optional<std::string> pending;
  uint64_t seen = 0;  // the peer's version the subscriber last saw
  REQUIRE(f.g->RegisterChannel(
                  ChannelSpec{10, "pipe"}, [&] { return std::exchange(pending, std::nullopt); },
                  [&](const ChannelView& v) { seen = v.Find(NodeId{2}) ? v.Find(NodeId{2})->version : 0; })
              .ok());
  f.AddPeers(2, 3);
  f.g->Tick();
  Packet p;
  p.entries.push_back(WireEntry{NodeId{2}, 10, 7, 3, "claims 7"});
  f.Deliver(f.From(2, p));
  f.clock.Advance(std::chrono::milliseconds(20));
  f.transport.sent.clear();
  f.g->DeliverViews();
  CHECK(seen == 7);  // before the component's tick
  pending = "own claims";  // what the component measured
  f.g->Tick();
  bool own_sent = false;
  for (const Packet& sent : f.SentPackets()) {
    for (const auto& e : sent.entries) own_sent = own_sent || (e.channel == 10 && e.origin == f.g->identity().id);
  }
  CHECK(own_sent);
  // Nothing new: DeliverViews calls no subscriber.
  seen = 0;
  f.clock.Advance(std::chrono::milliseconds(20));
  f.g->DeliverViews();
  CHECK(seen == 0);
}

TEST_CASE("packets never pass the MTU or 255 entries") {
  Fixture f;
  // At the default MTU about 60 small entries fit; with jumbo frames the
  // 255-entry bound is what stops a packet.
  const bool jumbo = GENERATE(false, true);
  if (jumbo) {
    f.config.mtu = kMaxDatagramBytes;
    f.g = std::make_unique<Gossiper>(f.config, NodeIdentity{NodeId{1}, 1, f.transport.local_endpoint()},
                                     f.clock, f.random, f.transport, f.keyring);
  }
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "tiny", milliseconds(20), 8}, nullptr, nullptr).ok());
  REQUIRE(f.g->RegisterChannel(ChannelSpec{11, "big", milliseconds(20), 900}, nullptr, nullptr).ok());
  f.AddPeers(2, 5);
  // 600 tiny entries (bounded by the count) and 40 big ones (by the size).
  for (uint64_t batch = 0; batch < 3; ++batch) {
    Packet p;
    for (uint64_t i = 0; i < 200; ++i) {
      p.entries.push_back(WireEntry{NodeId{1000 + batch * 200 + i}, 10, 1, 3, "x"});
    }
    f.Deliver(f.From(2, p));
  }
  for (uint64_t i = 0; i < 40; ++i) {
    Packet p;
    p.entries.push_back(WireEntry{NodeId{5000 + i}, 11, 1, 3, std::string(900, 'b')});
    f.Deliver(f.From(3, p));
  }
  for (int t = 0; t < 30; ++t) {
    f.clock.Advance(milliseconds(20));
    f.g->Tick();
  }
  REQUIRE(!f.transport.sent.empty());
  size_t max_entries = 0;
  for (auto& [to, d] : f.transport.sent) REQUIRE(d.size() <= f.config.mtu);
  for (const Packet& p : f.SentPackets()) max_entries = std::max(max_entries, p.entries.size());
  REQUIRE(max_entries <= kMaxEntriesPerPacket);
  if (jumbo) REQUIRE(max_entries == kMaxEntriesPerPacket);
  if (!jumbo) REQUIRE(max_entries >= 40);  // filled up to the MTU
}

TEST_CASE("a large channel cannot starve a small one") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "big", milliseconds(20), 1000}, nullptr, nullptr).ok());
  int counter = 0;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{20, "small", milliseconds(20), 16},
                               [&] { return std::optional<std::string>(std::to_string(counter)); },
                               nullptr)
              .ok());
  f.AddPeers(2, 5);
  // 300 big entries: one packet holds one, so the big channel alone could
  // fill every packet for a long time.
  for (uint64_t i = 0; i < 300; ++i) {
    Packet p;
    p.entries.push_back(WireEntry{NodeId{100 + i}, 10, 1, 3, std::string(1000, 'b')});
    f.Deliver(f.From(2, p));
  }
  f.transport.sent.clear();
  int small_packets = 0, packets = 0;
  for (int t = 0; t < 20; ++t) {
    ++counter;  // the small channel changes every tick
    f.clock.Advance(milliseconds(20));
    const size_t before = f.transport.sent.size();
    f.g->Tick();
    if (f.transport.sent.size() == before) continue;
    auto o = Open(f.keyring, Bytes(f.transport.sent.back().second));
    auto p = DecodePacket(Bytes(o->plaintext));
    ++packets;
    for (const auto& e : p->entries) small_packets += e.channel == 20;
  }
  REQUIRE(packets == 20);
  // Round-robin from a rotating start: the small channel rides in at least
  // every other packet.
  REQUIRE(small_packets >= 10);
}

TEST_CASE("a stale copy of our own entry makes us outbid it") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16},
                               [] { return std::optional<std::string>("mine"); }, nullptr)
              .ok());
  f.g->Tick();
  const uint64_t v = f.g->OwnVersion(10);
  REQUIRE(v > 0);
  Packet p;
  p.entries.push_back(WireEntry{NodeId{1}, 10, v + 10, 2, "old life"});
  f.Deliver(f.From(2, p));
  REQUIRE(f.g->OwnVersion(10) == v + 11);
  REQUIRE(f.g->View(10).Find(NodeId{1})->payload == "mine");
}

TEST_CASE("a peer whose digest shows it missed an update gets the entry sent back") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  f.AddPeers(2, 3);
  Packet news;
  news.entries.push_back(WireEntry{NodeId{2}, 10, 7, 1, "v7"});
  f.Deliver(f.From(2, news));
  // Peer 3 reports holding only node 2's heartbeat (version 1): behind.
  REQUIRE(AnswerTo3(f, {LivenessItem{NodeId{2}, 5, 1 + 1}})[{2, 10}] == 7);
  REQUIRE(f.g->counters().repairs_sent >= 1);
  // A peer that is up to date gets nothing.
  Packet same;
  same.liveness.push_back(LivenessItem{NodeId{2}, 5, (1 + 1) + (7 + 1)});
  const uint64_t before = f.g->counters().repairs_sent;
  f.g->OnDatagram(kPeer3, Bytes(f.From(3, same)));
  f.g->Tick();
  REQUIRE(f.g->counters().repairs_sent == before);
}

TEST_CASE("a repair too large for one packet goes out in several") {
  Fixture f;
  for (uint32_t code : {10u, 11u}) {
    REQUIRE(f.g->RegisterChannel(ChannelSpec{code, "big", milliseconds(20), 1000}, nullptr, nullptr).ok());
  }
  f.AddPeers(2, 3);
  Packet news;
  news.entries.push_back(WireEntry{NodeId{2}, 10, 7, 1, std::string(900, 'a')});
  f.Deliver(f.From(2, news));
  news.entries = {WireEntry{NodeId{2}, 11, 9, 1, std::string(900, 'b')}};
  f.Deliver(f.From(2, news));
  // Peer 3 holds only node 2's heartbeat.
  const auto repaired = AnswerTo3(f, {LivenessItem{NodeId{2}, 5, 1 + 1}});
  REQUIRE(repaired.contains({2, 10}));
  REQUIRE(repaired.contains({2, 11}));
}

TEST_CASE("a repair still goes out when the last origin asked of is no longer live") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  f.AddPeers(2, 3);
  Packet news;
  news.entries = {WireEntry{NodeId{2}, 10, 7, 1, "v7"}, WireEntry{NodeId{4}, 10, 5, 1, "v5"}};
  f.Deliver(f.From(2, news));
  // Nodes 2 and 3 keep talking; node 4 falls silent and fails.
  const TimePoint until = f.clock.Now() + f.g->membership().failure_timeout() + milliseconds(500);
  while (f.clock.Now() < until) {
    f.clock.Advance(milliseconds(20));
    f.Deliver(f.From(2, Packet{}));
    f.Deliver(f.From(3, Packet{}));
    f.g->Tick();
  }
  REQUIRE(f.g->membership().IsLive(NodeId{2}));
  REQUIRE_FALSE(f.g->membership().IsLive(NodeId{4}));
  // Peer 3 holds only the heartbeats of nodes 2 and 4 (and brings no news of 4's life).
  auto sent = AnswerTo3(f, {LivenessItem{NodeId{2}, 5, 1 + 1}, LivenessItem{NodeId{4}, 60000, 1 + 1}});
  REQUIRE_FALSE(f.g->membership().IsLive(NodeId{4}));
  REQUIRE(sent[{2, 10}] == 7);
}

TEST_CASE("suspects are probed, and a probed node answers with its next packet") {
  Fixture f;
  f.AddPeers(2, 3);
  // Silence past the suspect timeout: the next tick suspects all three and
  // probes each, once per probe interval.
  f.clock.Advance(f.config.suspect_timeout + milliseconds(50));
  f.g->Tick();
  std::set<Endpoint> probed;
  for (size_t i = 0; i < f.transport.sent.size(); ++i) {
    if (f.SentPackets()[i].probe) probed.insert(f.transport.sent[i].first);
  }
  REQUIRE(probed.size() == 3);
  REQUIRE(f.g->counters().suspect_probes_sent == 3);
  f.transport.sent.clear();
  f.clock.Advance(f.config.period);
  f.g->Tick();
  for (const Packet& p : f.SentPackets()) REQUIRE_FALSE(p.probe);  // not before the interval
  f.clock.Advance(f.config.suspect_probe_interval);
  f.g->Tick();
  size_t probes = 0;
  for (const Packet& p : f.SentPackets()) probes += p.probe ? 1 : 0;
  REQUIRE(probes >= 1);

  // The other side: a node that suspects us sends a probe; our next packet
  // goes to it too, whatever peers the fan-out picks.
  Fixture g;
  g.AddPeers(2, 20);
  Packet probe;
  probe.probe = true;
  const Endpoint prober{0x7f0000ff, 9000};
  const std::string d = g.From(99, probe);
  g.g->OnDatagram(prober, Bytes(d));
  REQUIRE(g.g->counters().suspect_probes_received == 1);
  g.g->Tick();
  bool answered = false;
  for (const auto& [to, bytes] : g.transport.sent) answered = answered || to == prober;
  REQUIRE(answered);
}

TEST_CASE("a larger pool gives each new entry more sends, so the push wave still reaches everyone") {
  GossipConfig c;
  REQUIRE(c.SendsFor(1) == 4);
  REQUIRE(c.SendsFor(128) == 4);
  REQUIRE(c.SendsFor(1024) == 5);
  REQUIRE(c.SendsFor(10000) == 6);
  c.sends = 8;  // the configured number is the least
  REQUIRE(c.SendsFor(10000) == 8);
  c.sends = 1;
  c.fanout = 1;
  REQUIRE(c.SendsFor(1u << 30) == 16);  // bounded

  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  auto learn = [&](uint64_t version) {
    Packet p;
    p.entries.push_back(WireEntry{NodeId{2}, 10, version, 3, "x"});
    f.Deliver(f.From(2, p));
    return f.g->View(10).FindAny(NodeId{2})->sends;
  };
  f.AddPeers(2, 10);
  f.clock.Advance(milliseconds(20));
  f.g->Tick();
  REQUIRE(learn(1) == 4);
  f.AddPeers(100, 1100);
  f.clock.Advance(f.g->membership().failure_timeout());  // the next membership round
  f.g->Tick();
  REQUIRE(learn(2) == 5);
}

TEST_CASE("a larger pool gives own entries more hops, as deep as the wave front goes") {
  GossipConfig c;
  REQUIRE(c.TtlFor(1) == 8);
  REQUIRE(c.TtlFor(16) == 8);
  REQUIRE(c.TtlFor(128) == 10);
  REQUIRE(c.TtlFor(4096) == 12);
  REQUIRE(c.TtlFor(10000) == 13);
  REQUIRE(c.TtlFor(size_t{1} << 40) == kMaxTtl);  // bounded
  c.max_ttl = 14;  // the configured TTL is the least
  REQUIRE(c.TtlFor(10000) == 14);

  Fixture f;
  std::string own = "a";
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16},
                               [&] { return std::optional<std::string>(own); }, nullptr).ok());
  auto learn_ttl = [&](uint64_t version) {
    Packet p;
    p.entries.push_back(WireEntry{NodeId{2}, 10, version, kMaxTtl, "x"});
    f.Deliver(f.From(2, p));
    return f.g->View(10).FindAny(NodeId{2})->ttl;
  };
  f.AddPeers(2, 10);
  f.clock.Advance(milliseconds(20));
  f.g->Tick();
  REQUIRE(f.g->View(10).FindAny(NodeId{1})->ttl == 8);
  REQUIRE(learn_ttl(1) == 7);  // a sender's larger TTL is cut to ours
  f.AddPeers(100, 10100);
  f.clock.Advance(f.g->membership().failure_timeout());
  own = "b";  // a new version after the membership round
  f.g->Tick();
  REQUIRE(f.g->View(10).FindAny(NodeId{1})->ttl == 13);
  REQUIRE(learn_ttl(2) == 12);
}


TEST_CASE("a larger pool contacts its seeds less often, so that each seed hears a bounded number") {
  GossipConfig c;
  auto seconds = [&](size_t nodes, size_t seeds) {
    return std::chrono::duration<double>(c.SeedIntervalFor(nodes, seeds)).count();
  };
  CHECK(seconds(1, 3) == 10);
  CHECK(seconds(128, 3) == 10);
  CHECK(seconds(300, 3) == 10);
  CHECK(seconds(1024, 3) == Approx(34.133));
  CHECK(seconds(10000, 3) == Approx(333.333));
  CHECK(seconds(10000, 1) == Approx(1000));
  CHECK(seconds(10000, 0) == 10);
  c.seed_contacts_per_s = 0;  // never stretched
  CHECK(seconds(10000, 3) == 10);
}
