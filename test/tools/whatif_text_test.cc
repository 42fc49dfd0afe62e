// shoalctl whatif's side of the replay: history answers made into recorded
// periods (nodes silent in a bucket count as failed, instances on them are
// left out) and the report as text and JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/policy/recorded_pool.h"
#include "tools/ctl/recorded.h"
#include "tools/ctl/whatif_text.h"

using namespace shoal;
using namespace shoal::ctl;
namespace control = shoal::daemon::control;

namespace {

void AddPoint(control::HistoryAnswer& a, const std::string& series, const std::string& node, int64_t t,
              double demand, double capacity = 0) {
  auto* p = a.add_points();
  p->set_series(series);
  p->set_node(node);
  p->set_time_ms(t);
  p->set_demand_m(demand);
  p->set_usage_m(demand / 2);
  p->set_booking_m(100);
  p->set_allocation_m(demand);
  p->set_capacity_m(capacity);
  p->set_samples(1);
}

}  // namespace

TEST_CASE("whatif: history answers as recorded periods, nodes silent in a bucket counted as failed") {
  control::HistoryAnswer apps, nodes;
  for (int64_t t : {0, 1000, 2000}) {
    for (const char* n : {"node-0", "node-1"}) {
      if (!(t == 1000 && std::string(n) == "node-1")) AddPoint(nodes, "", n, t, 0, 4000);
      AddPoint(apps, "web", n, t, 300 + static_cast<double>(t) / 10);
    }
  }
  AddPoint(apps, "web", "node-9", 0, 50);  // no node figures: left out
  control::HistoryAnswer pipes;
  AddPoint(pipes, "uplink/out", "node-0", 2000, 9000);      // the lane's own series: not an application's
  AddPoint(pipes, "uplink/out/web", "node-0", 2000, 4000);
  AddPoint(pipes, "uplink/in/web", "node-1", 2000, 1000);
  AddPoint(pipes, "uplink/sideways/web", "node-1", 2000, 1000);  // not a direction
  const auto periods = PeriodsOf(apps, nodes, pipes);
  REQUIRE(periods.size() == 3);
  REQUIRE(periods[0].nodes.size() == 2);
  REQUIRE(periods[0].instances.size() == 2);
  REQUIRE(periods[0].failed_nodes == 0);
  REQUIRE(periods[1].nodes.size() == 1);
  REQUIRE(periods[1].instances.size() == 1);
  REQUIRE(periods[1].failed_nodes == 1);
  REQUIRE(periods[2].failed_nodes == 0);
  REQUIRE(periods[2].instances[0].demand == 500);
  REQUIRE(periods[2].instances[0].usage == 250);
  REQUIRE(periods[2].instances[0].booking == 100);
  REQUIRE(periods[2].nodes[0].id == NodeId::FromName("node-0"));
  REQUIRE(periods[0].lanes.empty());
  REQUIRE(periods[2].lanes.size() == 2);
  const auto& out = periods[2].lanes[0].direction == policy::Direction::kOut ? periods[2].lanes[0] : periods[2].lanes[1];
  REQUIRE(out.pipe == "uplink");
  REQUIRE(out.shares.size() == 1);
  REQUIRE(out.shares[0].app == "web");
  REQUIRE(out.shares[0].demand == 4000);
  REQUIRE(ReplayStep(0, 86'400'000) == 60'000);
  REQUIRE(ReplayStep(0, 600'000) == 1000);
  REQUIRE(ReplayStep(0, 7 * 86'400'000LL) == 420'000);
}

TEST_CASE("whatif: the report for people and as JSON") {
  const auto doc = testing::ParseDoc(R"(<shoal-policy mode="enforce">
<application name="web"><process name="nginx"/></application>
<application name="db"><process name="postgres"/></application>
<policy application="web" priority="1"><cpu pool-percent="75%"/></policy>
<policy application="db" priority="2"><cpu pool-percent="75%"/></policy>
</shoal-policy>
)");
  const auto periods = testing::RecordPool(2, 1000, {"db", "web"}, 3, 1'764'547'200'000,
                                           [](const std::string&, size_t, size_t) { return 800.0; }, doc);
  auto replay = policy::Replay::Create(doc);
  REQUIRE(replay.ok());
  for (const auto& p : periods) replay->Add(p);
  WhatifHeading h{"draft.xml", 60'000, {}};
  h.edits.without_nodes = {"node-1"};
  const std::string text = WhatifText(replay->report(), {}, h);
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("draft.xml replayed over 3 period(s) of 60 s, 2025-12-01 00:00:00 to "
                                     "2025-12-01 00:03:00 (UTC)\nPool edited: without node-1\n"));
  CHECK_THAT(text, Catch::Contains("web          75% of the pool, priority 1  1.50 / 1.50  1.50 / 1.50  1.60 / 1.60"));
  CHECK_THAT(text, Catch::Contains("db's booking could not be met in 3 period(s): 2025-12-01 00:00:00, "));
  CHECK_THAT(text, Catch::Contains("The draft OVERBOOKS the pool in 3 of 3 period(s), asking up to 150%"));
  auto j = nlohmann::json::parse(WhatifJson(replay->report(), {}, h));
  REQUIRE(j["periods"] == 3);
  REQUIRE(j["from"] == "2025-12-01T00:00:00.000Z");
  REQUIRE(j["applications"][1]["name"] == "web");
  REQUIRE(j["applications"][1]["draft"]["booked_m"] == 1500);
  REQUIRE(j["applications"][0]["draft"]["booked_m"] == 500);
  REQUIRE(j["applications"][0]["unmet_periods"] == 3);
  REQUIRE(j["applications"][1]["recorded"]["demand_met"] == Approx(750.0 / 800));
  REQUIRE(j["overbooked"].size() == 3);
  REQUIRE(j["nodes"][1]["lowest_headroom_m"] == -600);
}
