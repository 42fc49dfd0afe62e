#include <set>

#include <catch2/catch.hpp>

#include "gossip/gossiper.h"
#include "gossip/sim/sim_network.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Records what the gossiper under test sends; delivers nothing.
class RecordingTransport final : public Transport {
 public:
  void Send(const Endpoint& to, std::span<const uint8_t> d) override {
    sent.emplace_back(to, std::string(reinterpret_cast<const char*>(d.data()), d.size()));
  }
  Endpoint local_endpoint() const override { return Endpoint{0x7f000001, 7000}; }
  void SetReceiver(Receiver r) override { receiver = std::move(r); }
  std::vector<std::pair<Endpoint, std::string>> sent;
  Receiver receiver;
};

struct Fixture {
  GossipConfig config = GossipConfig::Lan();
  ManualClock clock;
  Random random{17};
  RecordingTransport transport;
  Keyring keyring;
  std::unique_ptr<Gossiper> g;
  uint64_t seq = 0;

  Fixture() {
    Key k;
    k.fill(9);
    keyring.Add(k);
    g = std::make_unique<Gossiper>(config, NodeIdentity{NodeId{1}, 1, transport.local_endpoint()},
                                   clock, random, transport, keyring);
  }

  // A sealed packet from a peer, as it would arrive.
  std::string From(uint64_t sender, const Packet& p, uint64_t sequence = 0) {
    return Seal(keyring, SealHeader{NodeId{sender}, 1, sequence ? sequence : ++seq},
                EncodePacket(p));
  }
  void Deliver(const std::string& d) { g->OnDatagram(Endpoint{0x7f000002, 7000}, Bytes(d)); }

  // Makes `n` peers alive (with addresses) through their heartbeats.
  void AddPeers(uint64_t first, uint64_t n) {
    for (uint64_t i = first; i < first + n; ++i) {
      Packet p;
      p.entries.push_back(WireEntry{NodeId{i}, channels::kHeartbeat, 1, 1,
                                    EncodeHeartbeat(Heartbeat{1, Endpoint{0x7f000000u + uint32_t(i), 7000}, false, {}})});
      Deliver(From(i, p));
    }
  }

  std::vector<Packet> SentPackets() {
    std::vector<Packet> out;
    for (auto& [to, d] : transport.sent) {
      auto o = Open(keyring, Bytes(d));
      REQUIRE(o.ok());
      auto p = DecodePacket(Bytes(o->plaintext));
      REQUIRE(p.ok());
      out.push_back(*p);
    }
    return out;
  }
};

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

TEST_CASE("a peer whose digest shows it missed an update gets the entry sent back") {
  Fixture f;
  REQUIRE(f.g->RegisterChannel(ChannelSpec{10, "status", milliseconds(20), 16}, nullptr, nullptr).ok());
  f.AddPeers(2, 3);
  Packet news;
  news.entries.push_back(WireEntry{NodeId{2}, 10, 7, 1, "v7"});
  f.Deliver(f.From(2, news));
  // Peer 3 reports holding only node 2's heartbeat (version 1): behind.
  Packet digest;
  digest.liveness.push_back(LivenessItem{NodeId{3}, 0, 0});
  digest.liveness.push_back(LivenessItem{NodeId{2}, 5, 1 + 1});
  const Endpoint peer3{0x7f000003, 7000};
  f.g->OnDatagram(peer3, Bytes(f.From(3, digest)));
  f.transport.sent.clear();
  f.g->Tick();
  bool repaired = false;
  for (auto& [to, d] : f.transport.sent) {
    auto o = Open(f.keyring, Bytes(d));
    auto p = DecodePacket(Bytes(o->plaintext));
    for (const auto& e : p->entries) {
      if (to == peer3 && e.origin == NodeId{2} && e.channel == 10 && e.version == 7) repaired = true;
    }
  }
  REQUIRE(repaired);
  REQUIRE(f.g->counters().repairs_sent >= 1);
  // A peer that is up to date gets nothing.
  Packet same;
  same.liveness.push_back(LivenessItem{NodeId{2}, 5, (1 + 1) + (7 + 1)});
  const uint64_t before = f.g->counters().repairs_sent;
  f.g->OnDatagram(peer3, Bytes(f.From(3, same)));
  f.g->Tick();
  REQUIRE(f.g->counters().repairs_sent == before);
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
