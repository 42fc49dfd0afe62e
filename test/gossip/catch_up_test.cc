// CatchUp on its own: what goes into a digest, when, and its bounds.
#include <catch2/catch.hpp>

#include "gossip/catch_up.h"

using namespace shoal;
using namespace shoal::gossip;
using std::chrono::milliseconds;

namespace {

const TimePoint t0 = TimePoint{} + std::chrono::hours(1);

std::vector<NodeId> Fill(CatchUp& c, TimePoint now, uint32_t held_sum = 0) {
  std::vector<NodeId> out;
  // Still behind while the held sum is below theirs.
  c.Fill(now, [&](NodeId, uint32_t their_sum) { return held_sum < their_sum; },
         [&](NodeId id) { out.push_back(id); });
  return out;
}

}  // namespace

TEST_CASE("catching up: an origin this node is behind on is asked for once, after it settles") {
  CatchUp c(4, milliseconds(60), std::chrono::seconds(1));
  c.OnBehind(NodeId{7}, 5, t0);
  REQUIRE(Fill(c, t0 + milliseconds(40)).empty());  // a wave may still bring it
  REQUIRE(Fill(c, t0 + milliseconds(60)) == std::vector<NodeId>{NodeId{7}});
  REQUIRE(Fill(c, t0 + milliseconds(80)).empty());  // asked once
  REQUIRE(c.behind_count() == 0);

  // Caught up meanwhile: not asked, and forgotten.
  c.OnBehind(NodeId{8}, 5, t0);
  REQUIRE(Fill(c, t0 + milliseconds(100), /*held_sum=*/5).empty());
  REQUIRE(c.behind_count() == 0);

  // Seen behind again: the settle time runs from the first sight.
  c.OnBehind(NodeId{9}, 5, t0);
  c.OnBehind(NodeId{9}, 6, t0 + milliseconds(50));
  REQUIRE(Fill(c, t0 + milliseconds(60), /*held_sum=*/5) == std::vector<NodeId>{NodeId{9}});
}

TEST_CASE("catching up: recent origins are listed round-robin while recent, and everything is bounded") {
  CatchUp c(2, milliseconds(60), std::chrono::seconds(1));
  for (uint64_t i = 1; i <= 3; ++i) c.OnStored(NodeId{i}, t0);
  REQUIRE(Fill(c, t0) == std::vector<NodeId>{NodeId{1}, NodeId{2}});
  REQUIRE(Fill(c, t0) == std::vector<NodeId>{NodeId{3}, NodeId{1}});
  REQUIRE(Fill(c, t0 + std::chrono::seconds(2)).empty());  // no longer news

  // Origins behind come first.
  c.OnStored(NodeId{4}, t0 + std::chrono::seconds(2));
  c.OnBehind(NodeId{5}, 1, t0 + std::chrono::seconds(2));
  REQUIRE(Fill(c, t0 + std::chrono::seconds(3) - milliseconds(100)) ==
          std::vector<NodeId>{NodeId{5}, NodeId{4}});

  for (uint64_t i = 0; i < 10 * CatchUp::kMaxBehind; ++i) c.OnBehind(NodeId{100 + i}, 1, t0);
  REQUIRE(c.behind_count() == CatchUp::kMaxBehind);
  for (uint64_t i = 0; i < 10 * CatchUp::kMaxRecent; ++i) c.OnStored(NodeId{1000 + i}, t0);
  size_t listed = 0;
  for (size_t k = 0; k < CatchUp::kMaxRecent; ++k) {
    c.Fill(t0, [](NodeId, uint32_t) { return false; },  // nobody behind any more
           [&](NodeId) { ++listed; });
  }
  REQUIRE(listed == 2 * CatchUp::kMaxRecent);

  CatchUp off(0, milliseconds(60), std::chrono::seconds(1));
  off.OnStored(NodeId{1}, t0);
  off.OnBehind(NodeId{2}, 1, t0);
  REQUIRE(Fill(off, t0 + std::chrono::seconds(1)).empty());
}
