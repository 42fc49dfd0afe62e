#include <array>
#include <set>

#include <catch2/catch.hpp>

#include "gossip/membership.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {
const NodeId kSelf{1};
const NodeId kPeer{2};

Heartbeat Hb(uint64_t incarnation, bool leaving = false) {
  return Heartbeat{incarnation, Endpoint{0x7f000001, 7000}, leaving, {}};
}

struct Recorder {
  std::vector<std::pair<MemberEvent::Kind, NodeId>> events;
  Membership::Listener listener() {
    return [this](const MemberEvent& e) { events.emplace_back(e.kind, e.id); };
  }
  bool Saw(MemberEvent::Kind k) const {
    for (auto& [kind, id] : events) {
      if (kind == k) return true;
    }
    return false;
  }
};
}  // namespace

TEST_CASE("heartbeat codec round trip and refusal of junk") {
  const Heartbeat h{7, Endpoint{0x0a000001, 7946}, true, {}};
  auto back = DecodeHeartbeat(EncodeHeartbeat(h));
  REQUIRE(back.ok());
  REQUIRE(back->incarnation == 7);
  REQUIRE(back->endpoint == h.endpoint);
  REQUIRE(back->leaving);
  REQUIRE_FALSE(DecodeHeartbeat("\xff\xff").ok());
  REQUIRE_FALSE(DecodeHeartbeat("").ok());  // no address
}

TEST_CASE("silence makes a node suspect, then failed, and a sign of life brings it back") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  Recorder rec;
  m.SetListener(rec.listener());
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(1), c.Now());
  REQUIRE(rec.Saw(MemberEvent::Kind::kJoined));
  REQUIRE(m.IsLive(kPeer));
  REQUIRE(m.live_peers().size() == 1);
  REQUIRE(m.live_count() == 2);

  c.Advance(cfg.suspect_timeout - milliseconds(1));
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
  c.Advance(milliseconds(2));
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kSuspect);
  REQUIRE(m.IsLive(kPeer));  // a suspect is still gossiped with

  c.Advance(cfg.failure_timeout - cfg.suspect_timeout);
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kFailed);
  REQUIRE_FALSE(m.IsLive(kPeer));
  REQUIRE(m.live_peers().empty());
  REQUIRE(m.failed_peers().size() == 1);

  m.OnSignOfLife(kPeer, c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
  REQUIRE(rec.Saw(MemberEvent::Kind::kRecovered));
}

TEST_CASE("a graceful leave is not a failure") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  Recorder rec;
  m.SetListener(rec.listener());
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(1), c.Now());
  m.OnHeartbeat(kPeer, Hb(1, true), c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kLeft);
  REQUIRE_FALSE(m.IsLive(kPeer));
  m.OnSignOfLife(kPeer, c.Now());  // stale entries do not revive it
  REQUIRE(m.Find(kPeer)->state == MemberState::kLeft);
  c.Advance(cfg.failure_timeout * 2);
  m.Tick(c.Now());
  REQUIRE_FALSE(rec.Saw(MemberEvent::Kind::kFailed));
  m.OnHeartbeat(kPeer, Hb(2), c.Now());  // restarted: back
  REQUIRE(m.IsLive(kPeer));
}

TEST_CASE("reaped nodes are tombstoned until a newer incarnation shows up") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(3), c.Now());
  c.Advance(cfg.failure_timeout + milliseconds(1));
  m.Tick(c.Now());
  c.Advance(cfg.reap_after + milliseconds(1));
  auto reaped = m.Tick(c.Now());
  REQUIRE(reaped == std::vector<NodeId>{kPeer});
  REQUIRE(m.Find(kPeer) == nullptr);
  REQUIRE_FALSE(m.Accepts(kPeer, false, 0));
  REQUIRE_FALSE(m.Accepts(kPeer, true, 3));
  REQUIRE(m.Accepts(kPeer, true, 4));
  m.OnSignOfLife(kPeer, c.Now());  // ignored while tombstoned
  REQUIRE(m.Find(kPeer) == nullptr);
  c.Advance(cfg.tombstone_for + seconds(1));
  m.Tick(c.Now());
  REQUIRE(m.Accepts(kPeer, false, 0));
}

TEST_CASE("a node that stalled itself does not blame its peers") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(1), c.Now());
  m.OnHeartbeat(NodeId{3}, Hb(1), c.Now());
  c.Advance(seconds(2));
  m.ForgiveStall(c.Now());
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
  // News arrives for one peer; the other really is gone and is caught once
  // the grace ends.
  m.OnLiveness(kPeer, 5, c.Now());
  c.Advance(cfg.failure_timeout / 2 + milliseconds(1));
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
  REQUIRE(m.Find(NodeId{3})->state == MemberState::kFailed);
}

TEST_CASE("liveness digests carry news of life with its age") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(1), c.Now());
  c.Advance(cfg.failure_timeout + milliseconds(100));
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kFailed);
  // Old news does not revive it; fresh news does.
  m.OnLiveness(kPeer, 1000, c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kFailed);
  m.OnLiveness(kPeer, 10, c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
  // Unknown nodes are taken in on fresh news only.
  m.OnLiveness(NodeId{7}, 50, c.Now());
  REQUIRE(m.IsLive(NodeId{7}));
  m.OnLiveness(NodeId{8}, static_cast<uint32_t>(ToMillis(cfg.suspect_timeout)) + 1, c.Now());
  REQUIRE(m.Find(NodeId{8}) == nullptr);
}

TEST_CASE("the digest lists this node first, then a rotating window of live peers") {
  // (peers, window): every peer within ceil(peers / window) packets, the
  // departed never. A window that skipped a slot after each one it listed
  // left 8 of 63 peers out for good (their entries were never repaired).
  for (auto [peers, window] : {std::pair<uint64_t, size_t>{7, 3}, {63, 8}, {40, 5}}) {
    GossipConfig cfg;
    cfg.digest_items_min = window;
    cfg.digest_items_max = window;
    PeerIndex index(1024);
    Membership m(kSelf, cfg, index);
    ManualClock c;
    for (uint64_t i = 2; i <= peers + 1; ++i) m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
    for (uint64_t i = 100; i < 104; ++i) {  // among them, in slots of their own, nodes that left
      m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
      m.OnHeartbeat(NodeId{i}, Hb(2, true), c.Now());
    }
    c.Advance(milliseconds(40));
    std::set<uint64_t> covered;
    for (size_t round = 0; round < (peers + window - 1) / window; ++round) {
      std::vector<LivenessItem> d;
      m.FillDigest(c.Now(), d);
      REQUIRE(d.size() == window + 1);
      REQUIRE(d[0].id == kSelf);
      REQUIRE(d[0].age_ms == 0);
      for (size_t k = 1; k < d.size(); ++k) {
        REQUIRE(d[k].age_ms == 40);
        REQUIRE(d[k].id.value <= peers + 1);
        covered.insert(d[k].id.value);
      }
    }
    CAPTURE(peers, window);
    REQUIRE(covered.size() == peers);
  }
}

TEST_CASE("timeouts stretch in large pools, where news takes longer to go round") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  REQUIRE(m.failure_timeout() == cfg.failure_timeout);
  for (uint64_t i = 2; i <= 128; ++i) m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
  REQUIRE(m.failure_timeout() == cfg.failure_timeout);  // 128 nodes: as configured
  for (uint64_t i = 129; i <= 4096; ++i) m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
  REQUIRE(m.failure_timeout() > 2 * cfg.failure_timeout);
  REQUIRE(m.suspect_timeout() < m.failure_timeout());
}


TEST_CASE("timeouts follow how many peers a node tells a second, not the tick") {
  // Three exchanges: the lan preset, a tick twice as long telling twice
  // the peers (the same rate), and a tick twice as long alone (half).
  auto timeouts = [](int period_ms, size_t fanout, size_t nodes) {
    GossipConfig cfg;
    cfg.period = std::chrono::milliseconds(period_ms);
    cfg.fanout = fanout;
    PeerIndex index(2048);
    Membership m(kSelf, cfg, index);
    ManualClock c;
    for (uint64_t i = 2; i <= nodes; ++i) m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
    return std::array<Duration, 3>{m.suspect_timeout(), m.failure_timeout(), m.accusation_timeout()};
  };
  for (size_t nodes : {128, 1024}) {
    CAPTURE(nodes);
    REQUIRE(timeouts(40, 6, nodes) == timeouts(20, 3, nodes));
    REQUIRE(timeouts(40, 3, nodes)[1] > timeouts(20, 3, nodes)[1]);
  }
  REQUIRE(timeouts(40, 3, 1024)[2] > timeouts(20, 3, 1024)[2]);
  GossipConfig wide;
  wide.period = std::chrono::milliseconds(40);
  wide.fanout = 6;
  const GossipConfig timing = wide.AtTimingFanout();
  REQUIRE(timing.fanout == 3);
  REQUIRE(timing.period == std::chrono::milliseconds(20));
}
TEST_CASE("the live and failed lists follow joins, failures, recoveries, leaves and reaps") {
  GossipConfig cfg;
  PeerIndex index(4096);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  // What the lists must hold, from a scan of every member.
  auto check = [&] {
    std::set<NodeId> live, failed, listed_live, listed_failed;
    m.ForEach([&](NodeId id, const Member& x) {
      if (!x.endpoint.valid()) return;
      if (x.state == MemberState::kAlive || x.state == MemberState::kSuspect) live.insert(id);
      if (x.state == MemberState::kFailed) failed.insert(id);
    });
    for (const auto x : m.live_peers()) REQUIRE(listed_live.insert(x.id).second);
    for (const auto x : m.failed_peers()) REQUIRE(listed_failed.insert(x.id).second);
    REQUIRE(listed_live == live);
    REQUIRE(listed_failed == failed);
  };
  auto hb = [](uint64_t i, uint64_t inc = 1, bool leaving = false) {
    return Heartbeat{inc, Endpoint{static_cast<uint32_t>(0x0a000000 + i), 7000}, leaving, {}};
  };
  // Joins one at a time (the table moves several times as it grows), some
  // first vouched for without an address.
  for (uint64_t i = 2; i < 600; ++i) {
    if (i % 7 == 0) {
      m.OnLiveness(NodeId{i}, 0, c.Now());
      check();
    }
    m.OnHeartbeat(NodeId{i}, hb(i), c.Now());
    if (i % 50 == 0) check();
  }
  check();
  REQUIRE(m.live_peers().size() == 598);
  // Half of them go silent and fail; a few come back, one leaves.
  c.Advance(2 * m.failure_timeout());  // stretched for 600 nodes
  for (uint64_t i = 2; i < 300; ++i) m.OnLiveness(NodeId{i}, 0, c.Now());
  m.Tick(c.Now());
  m.Tick(c.Now());
  check();
  REQUIRE(m.failed_peers().size() == 300);
  for (uint64_t i = 300; i < 310; ++i) m.OnHeartbeat(NodeId{i}, hb(i, 2), c.Now());
  m.OnHeartbeat(NodeId{5}, hb(5, 1, true), c.Now());
  check();
  REQUIRE(m.failed_peers().size() == 290);
  // The failed ones are reaped; a reaped node that comes back is listed again.
  c.Advance(cfg.reap_after + m.failure_timeout());
  for (uint64_t i = 2; i < 310; ++i) m.OnLiveness(NodeId{i}, 0, c.Now());
  m.Tick(c.Now());
  check();
  REQUIRE(m.failed_peers().empty());
  m.OnSignOfLife(NodeId{450}, Endpoint{0x0a0001c2, 7000}, c.Now());
  check();
  REQUIRE(m.IsLive(NodeId{450}));
}

TEST_CASE("members running one build share its text and a new build replaces it") {
  GossipConfig cfg;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock c;
  Heartbeat a = Hb(1), b = Hb(1);
  a.build = b.build = "0.1.0 (7cbc926-dirty)";
  m.OnHeartbeat(kPeer, a, c.Now());
  m.OnHeartbeat(NodeId{3}, b, c.Now());
  const Member* p = m.Find(kPeer);
  const Member* q = m.Find(NodeId{3});
  REQUIRE(m.BuildOf(*p) == "0.1.0 (7cbc926-dirty)");
  REQUIRE(p->build == q->build);  // one text for both

  Heartbeat upgraded = Hb(2);
  upgraded.build = "0.2.0 (1234567)";
  m.OnHeartbeat(kPeer, upgraded, c.Now());
  REQUIRE(m.BuildOf(*m.Find(kPeer)) == "0.2.0 (1234567)");
  REQUIRE(m.BuildOf(*m.Find(NodeId{3})) == "0.1.0 (7cbc926-dirty)");
  // Many builds in turn: each member still reads its own, and texts no
  // member runs any more are let go.
  for (uint64_t i = 0; i < 300; ++i) {
    Heartbeat h = Hb(3 + i);
    h.build = "build " + std::to_string(i);
    m.OnHeartbeat(kPeer, h, c.Now());
    REQUIRE(m.BuildOf(*m.Find(kPeer)) == h.build);
  }
  REQUIRE(m.BuildOf(*m.Find(NodeId{3})) == "0.1.0 (7cbc926-dirty)");
}

TEST_CASE("the build table counts its members, frees unused texts and stops at 255") {
  BuildTable t;
  REQUIRE(t.Acquire("") == 0);
  REQUIRE(t.Text(0).empty());
  const uint8_t one = t.Acquire("one");
  REQUIRE(t.Acquire("one") == one);
  REQUIRE(t.size() == 1);
  t.Release(one);
  REQUIRE(t.Text(one) == "one");  // one member still runs it
  t.Release(one);
  REQUIRE(t.size() == 0);
  REQUIRE(t.Acquire("two") == one);  // the freed number is taken again
  for (size_t i = 1; i < BuildTable::kMax; ++i) REQUIRE(t.Acquire("b" + std::to_string(i)) != 0);
  REQUIRE(t.size() == BuildTable::kMax);
  REQUIRE(t.Acquire("one too many") == 0);  // recorded as not known
  REQUIRE(t.Text(t.Acquire("b7")) == "b7");
  t.Release(one);
  REQUIRE(t.Text(t.Acquire("now there is room")) == "now there is room");
}
