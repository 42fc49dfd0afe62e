#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/engine/node_status.h"

using namespace shoal;
using namespace shoal::engine;

namespace {

NodeStatus Example() {
  NodeStatus s;
  s.name = "n1";
  s.host = {4, 1230, 8u << 20, 3u << 20};
  s.capacity_m = 1500;
  s.policy_version = "1.0@abc";
  s.enforcing = true;
  s.enforcer = "cgroup-v1";
  s.instances = {{"gold", 700, 900, 4096, 2}, {"bronze", 300, 1000, 1024, 1}};
  return s;
}

}  // namespace

TEST_CASE("node status: a round trip keeps what is already rounded, most demanding instance first") {
  NodeStatus in = Example();
  in.settling = true;
  const NodeStatus s = RoundForPublishing(in);
  auto back = DecodeNodeStatus(EncodeNodeStatus(s));
  REQUIRE(back.ok());
  REQUIRE(back->instances.size() == 2);
  REQUIRE(back->instances[0].app == "bronze");
  std::swap(back->instances[0], back->instances[1]);
  REQUIRE(*back == s);
  REQUIRE_FALSE(DecodeNodeStatus("\xff\xff").ok());
  REQUIRE_FALSE(DecodeNodeStatus(EncodeNodeStatus(NodeStatus{})).ok());  // no name
}

TEST_CASE("node status: figures are rounded once, when published, so that noise makes no new version") {
  NodeStatus a = Example();
  a.instances = {{"gold", 704.4, 695.0, 4096 + 300, 2}};
  a.host.load_milli = 1249;
  a.host.mem_available_kb = (3u << 20) + 1000;
  NodeStatus b = a;
  b.instances[0].usage_m = 701.2;
  b.instances[0].rss_kb = 4096 + 900;
  b.host.load_milli = 1201;
  REQUIRE(EncodeNodeStatus(a) == EncodeNodeStatus(b));
  auto back = DecodeNodeStatus(EncodeNodeStatus(a));
  REQUIRE(back.ok());
  REQUIRE(back->instances[0].usage_m == 700);
  REQUIRE(back->instances[0].demand_m == 700);  // raised to the usage before rounding
  REQUIRE(back->instances[0].rss_kb == 4096);
  REQUIRE(back->host.load_milli == 1200);
  REQUIRE(back->host.mem_available_kb == 3u << 20);
}

TEST_CASE("node status: what does not fit leaves out the least demanding instances, counted") {
  NodeStatus s = Example();
  s.instances.clear();
  for (int i = 0; i < 40; ++i) {
    s.instances.push_back({fmt::format("application-with-a-long-name-{:02}", i), 10, 10.0 * i, 0, 1});
  }
  const std::string bytes = EncodeNodeStatus(s);
  REQUIRE(bytes.size() <= kNodeStatusMaxBytes);
  auto back = DecodeNodeStatus(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->instances.size() + back->instances_left_out == 40);
  REQUIRE(back->instances_left_out > 0);
  REQUIRE(back->instances.back().demand_m >= 10.0 * (back->instances_left_out - 1));
}

TEST_CASE("node status: a card keeps the node's facts only, so load and demand make no new version") {
  NodeStatus busy = Example();
  NodeStatus idle = Example();
  idle.instances.clear();
  idle.host.load_milli = 0;
  idle.host.mem_available_kb = 7u << 20;
  const std::string card = EncodeNodeStatus(CardOf(busy));
  REQUIRE(card == EncodeNodeStatus(CardOf(idle)));
  REQUIRE(card.size() < EncodeNodeStatus(busy).size() / 2);
  auto back = DecodeNodeStatus(card);
  REQUIRE(back.ok());
  CHECK(back->card);
  CHECK(back->instances.empty());
  CHECK(back->name == "n1");
  CHECK(back->capacity_m == 1500);
  CHECK(back->host.cpus == 4);
  // A push does not change the card (the policy channel announces the
  // version); enforcement does.
  CHECK(back->policy_version.empty());
  busy.policy_version = "2.0@abc";
  CHECK(EncodeNodeStatus(CardOf(busy)) == card);
  busy.enforcing = !busy.enforcing;
  CHECK(EncodeNodeStatus(CardOf(busy)) != card);
}

TEST_CASE("node status: a card that carries instances is refused") {
  // Built on the wire by hand: EncodeNodeStatus never writes one.
  NodeStatus s = Example();
  std::string bytes = EncodeNodeStatus(s);
  bytes += std::string("\x60\x01", 2);  // field 12 (card), varint 1
  auto back = DecodeNodeStatus(bytes);
  REQUIRE_FALSE(back.ok());
  CHECK(back.error().message.find("a card with instances") != std::string::npos);
}
