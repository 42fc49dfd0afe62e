#include <catch2/catch.hpp>

#include "gossip/membership.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {
const NodeId kSelf{1};
const NodeId kPeer{2};

Heartbeat Hb(uint64_t incarnation, bool leaving = false) {
  return Heartbeat{incarnation, Endpoint{0x7f000001, 7000}, leaving, 1};
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
  const Heartbeat h{7, Endpoint{0x0a000001, 7946}, true, 99};
  auto back = DecodeHeartbeat(EncodeHeartbeat(h));
  REQUIRE(back.ok());
  REQUIRE(back->incarnation == 7);
  REQUIRE(back->endpoint == h.endpoint);
  REQUIRE(back->leaving);
  REQUIRE(back->beat == 99);
  REQUIRE_FALSE(DecodeHeartbeat("\xff\xff").ok());
  REQUIRE_FALSE(DecodeHeartbeat("").ok());  // no address
}

TEST_CASE("silence makes a node suspect, then failed; a sign of life brings it back") {
  GossipConfig cfg;
  Membership m(kSelf, cfg);
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
  Membership m(kSelf, cfg);
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
  Membership m(kSelf, cfg);
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
  Membership m(kSelf, cfg);
  ManualClock c;
  m.OnHeartbeat(kPeer, Hb(1), c.Now());
  c.Advance(seconds(2));
  m.ForgiveStall(seconds(2));
  m.Tick(c.Now());
  REQUIRE(m.Find(kPeer)->state == MemberState::kAlive);
}

TEST_CASE("timeouts stretch when the pool would pass the heartbeat budget") {
  GossipConfig cfg;
  cfg.heartbeat_budget = 100;  // pool-wide heartbeats per second
  Membership m(kSelf, cfg);
  ManualClock c;
  REQUIRE(m.heartbeat_interval() == cfg.heartbeat_interval);
  for (uint64_t i = 2; i <= 100; ++i) m.OnHeartbeat(NodeId{i}, Hb(1), c.Now());
  // 100 nodes at 100 beats/s: one beat per node per second.
  REQUIRE(m.heartbeat_interval() == seconds(1));
  REQUIRE(m.failure_timeout() == cfg.failure_timeout * 5);
}
