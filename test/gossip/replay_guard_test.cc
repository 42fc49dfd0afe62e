#include <catch2/catch.hpp>

#include "gossip/replay_guard.h"

using namespace shoal;
using namespace shoal::gossip;

TEST_CASE("replay guard accepts each sequence once, in any order within the window") {
  PeerIndex index(16);
  ReplayGuard g(index);
  const NodeId a{1};
  REQUIRE(g.Accept(a, 1, 10));
  REQUIRE_FALSE(g.Accept(a, 1, 10));
  REQUIRE(g.Accept(a, 1, 12));
  REQUIRE(g.Accept(a, 1, 11));  // reordered, still new
  REQUIRE_FALSE(g.Accept(a, 1, 11));
  REQUIRE(g.Accept(a, 1, 100));
  REQUIRE(g.Accept(a, 1, 40));   // 60 back: inside the 64 window
  REQUIRE_FALSE(g.Accept(a, 1, 36));  // 64 back: outside
  REQUIRE(g.Accept(NodeId{2}, 1, 10));  // other senders are independent
}

TEST_CASE("replay guard: a new boot starts over, an old boot is refused") {
  PeerIndex index(16);
  ReplayGuard g(index);
  const NodeId a{1};
  REQUIRE(g.Accept(a, 5, 1000));
  REQUIRE(g.Accept(a, 6, 1));
  REQUIRE_FALSE(g.Accept(a, 5, 1001));
  REQUIRE_FALSE(g.Accept(a, 6, 1));
}

TEST_CASE("replay guard tracks as many senders as the index has room for") {
  PeerIndex index(4);
  ReplayGuard g(index);
  for (uint64_t i = 1; i <= 4; ++i) REQUIRE(g.Accept(NodeId{i}, 1, 1));
  REQUIRE_FALSE(g.Accept(NodeId{5}, 1, 1));  // no room: refused, not remembered
  REQUIRE(g.tracked() == 4);
  REQUIRE_FALSE(g.Accept(NodeId{4}, 1, 1));  // known ones are still guarded
  g.Forget(NodeId{4});
  REQUIRE(index.held() == 3);
  REQUIRE(g.Accept(NodeId{5}, 1, 1));  // the freed slot serves a new sender
  REQUIRE(g.tracked() == 4);
}
