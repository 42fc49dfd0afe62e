// The pool's levels in versions: numbered by the representative, taken by
// every node from whichever way brings the newer first
// (daemon/engine/levels_inbox.h).
#include <catch2/catch.hpp>

#include <chrono>

#include "daemon/engine/figures_codec.h"
#include "daemon/engine/levels_inbox.h"

using namespace shoal;
using namespace shoal::engine;
using namespace std::chrono_literals;

namespace {

policy::PoolLevels LevelsOf(uint32_t nodes) {
  policy::PoolLevels levels;
  levels.nodes = nodes;
  return levels;
}

}  // namespace

TEST_CASE("the representative numbers each new version of its levels by the clock, and only new ones", "[figures]") {
  LevelsNumbering numbering;
  const TimePoint t0 = TimePoint{} + 100s;
  const auto first = numbering.Encode(LevelsOf(3), t0);
  REQUIRE(first.has_value());
  CHECK(LevelsVersion(*first).value() == 100'000'000'000u);
  CHECK(DecodeLevels(*first, {}, {}).value().nodes == 3);  // the version does not disturb the levels
  CHECK_FALSE(numbering.Encode(LevelsOf(3), t0 + 1s).has_value());  // the same levels: nothing new
  // The clock went back: still after the last.
  const auto second = numbering.Encode(LevelsOf(4), t0 - 10s);
  REQUIRE(second.has_value());
  CHECK(LevelsVersion(*second).value() == 100'000'000'001u);
  numbering.Reset();  // stopped publishing: the same levels are new again
  CHECK(numbering.Encode(LevelsOf(4), t0 + 2s).has_value());
  CHECK(LevelsVersion("not levels").ok() == false);
  CHECK(LevelsVersion(EncodeLevels(LevelsOf(5))).value() == 0);
}

TEST_CASE("a node takes the newest levels whichever way brings them first", "[figures]") {
  const NodeId rep{7}, next{9};
  const TimePoint t0 = TimePoint{} + 100s;
  auto v = [](uint32_t nodes, uint64_t version) { return VersionLevels(EncodeLevels(LevelsOf(nodes)), version); };
  LevelsInbox inbox(5s);
  REQUIRE(inbox.OfferFromChannel(rep, v(1, 10), t0));  // before the tree says anything
  CHECK(inbox.bytes() == v(1, 10));
  CHECK_FALSE(inbox.OfferFromChannel(rep, v(1, 10), t0 + 1s));  // the same again
  REQUIRE(inbox.OfferFromTree(rep, v(3, 30), t0 + 1500ms));
  // The channel lags behind the tree: its older version does not replace the newer.
  CHECK_FALSE(inbox.OfferFromChannel(rep, v(2, 20), t0 + 2s));
  CHECK(inbox.bytes() == v(3, 30));
  // The tree stopped reaching this node: the channel's newer versions are taken at once, no silence waited out.
  REQUIRE(inbox.OfferFromChannel(rep, v(4, 40), t0 + 2100ms));
  CHECK(inbox.bytes() == v(4, 40));
  CHECK_FALSE(inbox.OfferFromChannel(rep, "", t0 + 3s));  // a withdrawn entry keeps what was heard
  CHECK_FALSE(inbox.OfferFromTree(rep, "garbage", t0 + 3s));
  // Another representative: its versions from its own clock, taken at once.
  REQUIRE(inbox.OfferFromTree(next, v(5, 5), t0 + 3s));
  CHECK_FALSE(inbox.OfferFromTree(next, v(5, 4), t0 + 3s));
  // Back to the first (the view of the pool moved back): taken.
  REQUIRE(inbox.OfferFromChannel(rep, v(6, 35), t0 + 3500ms));
  // A node that just became a representative passes down the version the
  // tree last brought it, which the channel overtook long ago: however long
  // nothing newer has come, a late copy from the tree is not taken.
  CHECK_FALSE(inbox.OfferFromTree(rep, v(3, 30), t0 + 60s));
  CHECK(inbox.bytes() == v(6, 35));
  // The representative restarted with its clock behind: its lower versions
  // on the channel are taken once nothing newer has come for 5 s.
  CHECK_FALSE(inbox.OfferFromChannel(rep, v(7, 12), t0 + 8s));
  REQUIRE(inbox.OfferFromChannel(rep, v(7, 12), t0 + 8500ms));
  REQUIRE(inbox.OfferFromTree(rep, v(8, 13), t0 + 8600ms));
  // Levels with no version (an older build publishing them) are taken when they differ.
  REQUIRE(inbox.OfferFromChannel(rep, EncodeLevels(LevelsOf(9)), t0 + 9s));
  REQUIRE(inbox.OfferFromTree(rep, EncodeLevels(LevelsOf(10)), t0 + 9s));
  inbox.Clear();
  CHECK(inbox.bytes().empty());
  REQUIRE(inbox.OfferFromTree(rep, v(1, 10), t0 + 10s));
}
