#include <catch2/catch.hpp>

#include "core/endpoint.h"
#include "core/node_id.h"

using namespace shoal;

TEST_CASE("Endpoint parses and prints a.b.c.d:port") {
  auto e = Endpoint::Parse("127.0.0.1:7946");
  REQUIRE(e.ok());
  REQUIRE(e->ip == 0x7f000001u);
  REQUIRE(e->port == 7946);
  REQUIRE(e->ToString() == "127.0.0.1:7946");
  auto d = Endpoint::Parse("10.1.2.3", 7000);
  REQUIRE(d.ok());
  REQUIRE(d->ToString() == "10.1.2.3:7000");
  REQUIRE(Endpoint::Parse("localhost:9")->ToString() == "127.0.0.1:9");
}

TEST_CASE("Endpoint refuses bad text and says what is wrong") {
  for (const char* bad : {"", "1.2.3:4", "1.2.3.4.5:6", "256.0.0.1:1", "1.2.3.4:0", "1.2.3.4:70000",
                          "a.b.c.d:1", "1.2.3.4:x", "1.2.3.4"}) {
    auto e = Endpoint::Parse(bad);
    INFO(bad);
    REQUIRE_FALSE(e.ok());
    REQUIRE(e.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("NodeId from a name is stable and ordered") {
  REQUIRE(NodeId::FromName("web-1") == NodeId::FromName("web-1"));
  REQUIRE(NodeId::FromName("web-1") != NodeId::FromName("web-2"));
  REQUIRE(NodeId::FromName("x").valid());
  REQUIRE(NodeId{1} < NodeId{2});
  REQUIRE(NodeId{255}.ToString() == "00000000000000ff");
}

TEST_CASE("NodeSet keeps ids sorted and unique") {
  NodeSet s({NodeId{5}, NodeId{1}, NodeId{5}, NodeId{3}});
  REQUIRE(s.size() == 3);
  REQUIRE(s.ids().front() == NodeId{1});
  REQUIRE(s.Insert(NodeId{2}));
  REQUIRE_FALSE(s.Insert(NodeId{2}));
  REQUIRE(s.Contains(NodeId{2}));
  REQUIRE(s.Erase(NodeId{1}));
  REQUIRE_FALSE(s.Erase(NodeId{1}));
  REQUIRE(s.ids() == std::vector<NodeId>{NodeId{2}, NodeId{3}, NodeId{5}});
}
