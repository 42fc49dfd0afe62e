// Which levels a node plans from when they come down the tree and on the
// channel (daemon/engine/levels_inbox.h).
#include <catch2/catch.hpp>

#include <chrono>

#include "daemon/engine/levels_inbox.h"

using namespace shoal;
using namespace shoal::engine;
using namespace std::chrono_literals;

TEST_CASE("levels from the tree win over the channel's while the tree speaks", "[figures]") {
  LevelsInbox inbox(2s);
  const TimePoint t0 = TimePoint{} + 100s;
  // Before the tree says anything the channel's levels are taken.
  REQUIRE(inbox.FromChannel("v1", t0));
  CHECK(inbox.bytes() == "v1");
  CHECK_FALSE(inbox.FromChannel("v1", t0 + 1s));  // nothing new
  REQUIRE(inbox.FromTree("v3", t0 + 1500ms));
  // The channel lags behind the tree: its older version must not replace the newer.
  CHECK_FALSE(inbox.FromChannel("v2", t0 + 2s));
  CHECK(inbox.bytes() == "v3");
  CHECK_FALSE(inbox.FromTree("v3", t0 + 2200ms));  // the same again: not new, but the tree spoke
  CHECK_FALSE(inbox.FromChannel("v2", t0 + 4100ms));
  // The tree silent for 2 s (the node's zone moved, it sends no part): the channel is read.
  REQUIRE(inbox.FromChannel("v4", t0 + 4200ms));
  CHECK(inbox.bytes() == "v4");
  CHECK_FALSE(inbox.FromChannel("", t0 + 5s));  // a withdrawn entry keeps what was heard
  CHECK(inbox.bytes() == "v4");
  inbox.Clear();
  CHECK(inbox.bytes().empty());
  REQUIRE(inbox.FromChannel("v4", t0 + 5s));
}
