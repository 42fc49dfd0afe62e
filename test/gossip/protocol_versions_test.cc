// Protocol versions: the codec accepts a range, heartbeats announce it, and
// a pool upgraded one node at a time never splits: nodes of the newer
// build speak the older version while any older node is live, and the
// newer one once none is. Virtual time only.
#include <catch2/catch.hpp>

#include "gossip/membership.h"
#include "gossip/packet.h"
#include "packet.pb.h"
#include "test/gossip/sim_scenario.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace shoal::gossip::testing;

namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("packets: encoded in a chosen version, refused outside the range a node speaks") {
  Packet p;
  p.entries.push_back(WireEntry{NodeId{7}, 10, 3, 2, "x"});
  const std::string v1 = EncodePacket(p, 1), v2 = EncodePacket(p, 2);
  auto d1 = DecodePacket(Bytes(v1));
  REQUIRE(d1.ok());
  CHECK(d1->version == 1);
  CHECK(d1->entries == p.entries);
  CHECK(DecodePacket(Bytes(v2))->version == 2);
  // A node of the older build speaks 1 only.
  CHECK_THAT(DecodePacket(Bytes(v2), ProtocolRange{1, 1}).error().message,
             Catch::Contains("protocol version 2 (this node speaks 1 to 1)"));
  CHECK_FALSE(DecodePacket(Bytes(EncodePacket(p, kProtocolVersion + 1))).ok());
}

TEST_CASE("heartbeats: carry the sender's protocol range and build, and an older node's means 1 to 1") {
  Heartbeat h{5, Endpoint{0x0a000001, 7946}, false, {}, ProtocolRange{1, 2}, "0.1.0 (abc)"};
  auto back = DecodeHeartbeat(EncodeHeartbeat(h));
  REQUIRE(back.ok());
  CHECK(back->protocol == ProtocolRange{1, 2});
  CHECK(back->build == "0.1.0 (abc)");
  wire::Heartbeat old;  // as a version-1 build writes it
  old.set_incarnation(5);
  old.set_ip(0x0a000001);
  old.set_port(7946);
  old.set_status(wire::MEMBER_STATUS_ALIVE);
  CHECK(DecodeHeartbeat(old.SerializeAsString())->protocol == ProtocolRange{1, 1});
  old.set_protocol_min(3);
  old.set_protocol_max(2);
  CHECK_THAT(DecodeHeartbeat(old.SerializeAsString()).error().message, Catch::Contains("protocol range 3 to 2"));
  old.set_protocol_min(2);
  old.set_protocol_max(kMaxProtocolVersion + 1);  // more than a member's record holds
  CHECK_THAT(DecodeHeartbeat(old.SerializeAsString()).error().message, Catch::Contains("protocol range 2 to 65536"));
  old.set_protocol_max(kMaxProtocolVersion);
  CHECK(DecodeHeartbeat(old.SerializeAsString())->protocol == ProtocolRange{2, 0xffff});
}

TEST_CASE("a rolling upgrade: a pool of the older build upgraded node by node never splits") {
  constexpr size_t kNodes = 12;
  SimPoolOptions o = Options(kNodes, 0.02, 21);
  o.config.protocol = ProtocolRange{1, 1};  // every node runs the older build
  Scenario s(o);
  REQUIRE(s.RunUntilConverged(seconds(10)) < seconds(10));
  const TimePoint upgrade_start = s.pool.clock().Now();
  uint64_t refused_before = 0;
  for (size_t i = 0; i < kNodes; ++i) refused_before += s.pool.node(i).counters().dropped_malformed;

  for (size_t i = 0; i < kNodes; ++i) {
    s.pool.SetProtocol(i, ProtocolRange{1, 2});
    s.pool.Restart(i);
    ++s.generation[i];
    INFO("after upgrading node " << i);
    REQUIRE(s.RunUntilConverged(seconds(5)) < seconds(5));
    s.pool.RunFor(seconds(2));
    const bool older_left = i + 1 < kNodes;
    for (size_t j = 0; j <= i; ++j) {
      INFO("upgraded node " << j);
      CHECK(s.pool.node(j).wire_version() == (older_left ? 1u : 2u));
    }
  }
  // Nobody dropped a packet for its version, and nobody was declared failed.
  uint64_t refused = 0;
  for (size_t i = 0; i < kNodes; ++i) refused += s.pool.node(i).counters().dropped_malformed;
  CHECK(refused == refused_before);
  size_t failed = 0;
  for (const auto& e : s.events) failed += e.kind == MemberEvent::Kind::kFailed && e.at >= upgrade_start;
  CHECK(failed == 0);
  s.generation[3] += 1;
  CHECK(s.RunUntilConverged(seconds(1)) < milliseconds(500));
}

TEST_CASE("a node that speaks only a newer version than the pool is not heard, and says why") {
  SimPoolOptions o = Options(4, 0.0, 5);
  o.config.protocol = ProtocolRange{1, 1};
  Scenario s(o);
  REQUIRE(s.RunUntilConverged(seconds(5)) < seconds(5));
  // Node 3 restarts as a build that dropped version 1 while the others
  // speak only 1: neither side takes the other's packets.
  s.pool.SetProtocol(3, ProtocolRange{2, 2});
  s.pool.Restart(3);
  s.pool.RunFor(seconds(5));
  CHECK(s.pool.node(0).counters().dropped_malformed > 0);
  CHECK(s.pool.node(0).membership().live_count() == 3);
}
