// Replay of recorded pipe demand under a draft: each period's demand per
// node divided as the pipe loop divides an interval, the draft's bookings
// and caps in force, beside what the pool recorded; an edited pool.
#include <catch2/catch.hpp>

#include "daemon/engine/pipe_replay.h"
#include "test/policy/recorded_pool.h"

using namespace shoal;
using namespace shoal::engine;

namespace {

// A 1 MB/s uplink, nothing immediate: every byte of the interval is booked or shared.
std::string Draft(const std::string& web_share, const std::string& batch_share) {
  return R"(<shoal-policy mode="enforce">
<pipe name="uplink" out="1MB" immediate-share="0%"/>
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1">)" + web_share + R"(</policy>
<policy application="batch" priority="2">)" + batch_share + R"(</policy>
</shoal-policy>
)";
}

// Four nodes; web wants 200 KB/s on each, batch 300 KB/s: 2 MB/s wanted of 1.
std::vector<policy::RecordedPeriod> Recorded(size_t count) {
  std::vector<policy::RecordedPeriod> out;
  for (size_t t = 0; t < count; ++t) {
    policy::RecordedPeriod p;
    p.time_ms = 1'764'547'200'000 + static_cast<int64_t>(t) * 60'000;
    policy::RecordedLane lane{"uplink", policy::Direction::kOut, {}};
    for (size_t n = 0; n < 4; ++n) {
      const std::string name = "node-" + std::to_string(n);
      p.nodes.push_back({NodeId::FromName(name), name, 4000});
      lane.shares.push_back({"web", NodeId::FromName(name), 200'000, 200'000, 100'000, 120'000});
      lane.shares.push_back({"batch", NodeId::FromName(name), 300'000, 300'000, 0, 130'000});
    }
    p.lanes.push_back(std::move(lane));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<LaneAppReplay> ReplayUnder(const std::string& xml, const std::vector<policy::RecordedPeriod>& periods,
                                       policy::PoolEdits edits = {}) {
  auto replay = PipeReplay::Create(testing::ParseDoc(xml), std::move(edits));
  REQUIRE(replay.ok());
  for (const auto& p : periods) replay->Add(p);
  return replay->report();
}

const LaneAppReplay& Of(const std::vector<LaneAppReplay>& r, const std::string& app) {
  for (const auto& e : r) {
    if (e.app == app) return e;
  }
  FAIL("no " << app);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("pipe replay: the draft's bookings divide the recorded demand, beside what was recorded") {
  const auto periods = Recorded(5);
  const auto r = ReplayUnder(Draft(R"(<bandwidth pipe="uplink" direction="out" percent="60%"/>)",
                                   R"(<bandwidth pipe="uplink" direction="out" percent="10%"/>)"),
                             periods);
  const LaneAppReplay& web = Of(r, "web");
  REQUIRE(web.lane == "uplink/out");
  REQUIRE(web.replayed.periods == 5);
  // web wants 800 KB/s, booked 600: it gets its booking and a share of the rest.
  REQUIRE(web.replayed.booked / 5 == Approx(600'000).margin(8));
  REQUIRE(web.replayed.credit / 5 >= 600'000 - 8);
  REQUIRE(web.replayed.demand / 5 == Approx(800'000));
  const LaneAppReplay& batch = Of(r, "batch");
  REQUIRE(batch.replayed.booked / 5 == Approx(100'000).margin(8));
  // Never more than the pipe: 1 MB in each one-second interval.
  REQUIRE((web.replayed.credit + batch.replayed.credit) / 5 <= 1'000'000);
  REQUIRE((web.replayed.credit + batch.replayed.credit) / 5 >= 1'000'000 - 16);
  REQUIRE(batch.replayed.short_periods == 5);
  // What was recorded: the sums of the nodes' figures.
  REQUIRE(web.recorded.booked / 5 == 400'000);
  REQUIRE(web.recorded.credit / 5 == 480'000);
  REQUIRE(web.recorded.MetFraction() == Approx(0.6));
  REQUIRE(batch.recorded.credit / 5 == 520'000);
}

TEST_CASE("pipe replay: a cap holds an application back, and an edited pool carries less demand") {
  const auto periods = Recorded(3);
  const auto capped = ReplayUnder(Draft(R"(<bandwidth pipe="uplink" direction="out" percent="10%" cap="20%"/>)",
                                        R"(<bandwidth pipe="uplink" direction="out" percent="10%"/>)"),
                                  periods);
  REQUIRE(Of(capped, "web").replayed.credit / 3 <= 200'000 + 8);
  REQUIRE(Of(capped, "batch").replayed.credit / 3 >= 800'000 - 16);

  policy::PoolEdits fewer;
  fewer.without_nodes = {"node-0", "node-1"};
  const auto half = ReplayUnder(Draft(R"(<bandwidth pipe="uplink" direction="out" percent="60%"/>)", R"(<cpu cores="0.1"/>)"), periods,
                                fewer);
  REQUIRE(Of(half, "web").replayed.demand / 3 == Approx(400'000));
  REQUIRE(Of(half, "web").replayed.short_periods == 0);  // 400 KB/s wanted, 600 booked
  REQUIRE(Of(half, "web").recorded.demand / 3 == Approx(800'000));
}
