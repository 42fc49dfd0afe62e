// Replay of recorded demand under a policy document: the same plans the
// daemons made when the document is the one they ran, each period's
// schedule window and failure adjustment in force, an overbooking draft
// named with its periods, and pools edited before the replay.
#include <catch2/catch.hpp>

#include "policy/replay.h"
#include "test/policy/recorded_pool.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

const std::vector<std::string> kApps = {"batch", "web"};
constexpr int64_t kMonday = 1'764'547'200'000;  // 2025-12-01 00:00 UTC, a Monday

const char* kRecorded = R"(<shoal-policy mode="enforce">
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1"><cpu pool-percent="40%"/></policy>
<policy application="batch" priority="2"><cpu pool-percent="20%"/></policy>
</shoal-policy>
)";

// web rises and falls within its booking; batch is steady and hungry.
double Demand(const std::string& app, size_t node, size_t t) {
  if (app == "web") return 200 + 100.0 * static_cast<double>((t + node) % 6);
  return 1500;
}

std::vector<RecordedPeriod> Recorded(size_t count = 30) {
  return testing::RecordPool(4, 2000, kApps, count, kMonday, Demand, testing::ParseDoc(kRecorded));
}

ReplayReport ReplayUnder(const std::string& xml, const std::vector<RecordedPeriod>& periods, PoolEdits edits = {}) {
  auto replay = Replay::Create(testing::ParseDoc(xml), std::move(edits));
  REQUIRE(replay.ok());
  for (const auto& p : periods) replay->Add(p);
  return replay->report();
}

const AppReplay& AppOf(const ReplayReport& r, const std::string& name) {
  for (const auto& a : r.apps) {
    if (a.name == name) return a;
  }
  FAIL("no " << name << " in the report");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("replay: under the policy the pool ran, every period's plan equals the recorded one") {
  const auto periods = Recorded();
  auto replay = Replay::Create(testing::ParseDoc(kRecorded));
  REQUIRE(replay.ok());
  for (const auto& p : periods) {
    const CpuPlan plan = replay->Plan(p);
    for (const auto& i : p.instances) {
      const NodePlan* node = plan.FindNode(i.node);
      REQUIRE(node != nullptr);
      bool found = false;
      for (size_t k = node->first; k < node->first + node->count; ++k) {
        if (plan.apps[plan.instances[k].app].name != i.app) continue;
        found = true;
        REQUIRE(plan.instances[k].allocation == Approx(i.allocation));
        REQUIRE(plan.instances[k].booking == Approx(i.booking));
      }
      REQUIRE(found);
    }
  }
  const ReplayReport r = ReplayUnder(kRecorded, periods);
  REQUIRE(r.periods == 30);
  for (const auto& app : r.apps) {
    INFO(app.name);
    REQUIRE(app.replayed.periods == 30);
    REQUIRE(app.replayed.allocated == Approx(app.recorded.allocated));
    REQUIRE(app.replayed.booked == Approx(app.recorded.booked));
    REQUIRE(app.replayed.squeezed == app.recorded.squeezed);
  }
  // 8 cores: web books 3.2 of them and gets what it asks; batch (6 wanted)
  // is squeezed where web is busy.
  REQUIRE(AppOf(r, "web").replayed.booked / 30 == Approx(3200));
  REQUIRE(AppOf(r, "web").replayed.MetFraction() == Approx(1));
  REQUIRE(AppOf(r, "batch").replayed.squeezed > 0);
  REQUIRE(AppOf(r, "batch").replayed.MetFraction() < 1);
  REQUIRE(r.overbooked_periods == 0);
}

TEST_CASE("replay: a draft's figures differ from the recorded ones where it books differently") {
  const auto periods = Recorded();
  const ReplayReport r = ReplayUnder(R"(<shoal-policy mode="enforce">
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1"><cpu pool-percent="10%"/></policy>
<policy application="batch" priority="1"><cpu pool-percent="80%"/></policy>
</shoal-policy>
)", periods);
  const AppReplay& web = AppOf(r, "web");
  REQUIRE(web.replayed.booked / 30 == Approx(800));
  REQUIRE(web.recorded.booked / 30 == Approx(3200));
  // web's demand above its small booking competes with batch's: web is now squeezed sometimes.
  REQUIRE(web.replayed.squeezed > 0);
  REQUIRE(web.recorded.squeezed == 0);
  REQUIRE(web.replayed.MetFraction() < web.recorded.MetFraction());
  REQUIRE(AppOf(r, "batch").replayed.MetFraction() > AppOf(r, "batch").recorded.MetFraction());
}

TEST_CASE("replay: the schedule window in force at each period's time, and the failure adjustment") {
  // Periods at 08:00..08:59 and 09:00..09:59 on a Monday.
  auto periods = Recorded(120);
  for (size_t t = 0; t < periods.size(); ++t) periods[t].time_ms = kMonday + 8 * 3'600'000 + static_cast<int64_t>(t) * 60'000;
  const char* windowed = R"(<shoal-policy mode="enforce">
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1"><cpu pool-percent="10%"/>
  <schedule timezone="UTC"><window days="mon-fri" from="09:00" to="17:00"><cpu pool-percent="50%"/></window></schedule>
  <on-failure min-failed="1"><cpu pool-percent="30%"/></on-failure>
</policy>
</shoal-policy>
)";
  auto replay = Replay::Create(testing::ParseDoc(windowed));
  REQUIRE(replay.ok());
  REQUIRE(replay->Plan(periods[30]).FindApp("web")->booked == Approx(800));    // 08:30: outside the window
  REQUIRE(replay->Plan(periods[90]).FindApp("web")->booked == Approx(4000));   // 09:30: inside it
  periods[30].failed_nodes = 1;
  REQUIRE(replay->Plan(periods[30]).FindApp("web")->booked == Approx(2400));   // a node failed: the adjustment
}

TEST_CASE("replay: a draft that overbooks the pool is named, with its periods and unmet bookings") {
  const auto periods = Recorded(25);
  const ReplayReport r = ReplayUnder(R"(<shoal-policy mode="enforce">
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<policy application="web" priority="1"><cpu pool-percent="70%"/></policy>
<policy application="batch" priority="2"><cpu cores="5"/></policy>
</shoal-policy>
)", periods);
  REQUIRE(r.overbooked_periods == 25);
  REQUIRE(r.overbooked_times.size() == kMaxTimesKept);
  REQUIRE(r.overbooked_times.front() == kMonday);
  REQUIRE(r.worst_overbooking == Approx((5600.0 + 5000) / 8000));
  const AppReplay& batch = AppOf(r, "batch");
  REQUIRE(batch.unmet_periods == 25);
  REQUIRE(AppOf(r, "web").unmet_periods == 0);
}

TEST_CASE("replay: an edited pool, without a node and with an application moved") {
  const auto periods = Recorded(10);
  PoolEdits without;
  without.without_nodes = {"node-3"};
  const ReplayReport fewer = ReplayUnder(kRecorded, periods, without);
  REQUIRE(fewer.nodes.size() == 3);
  REQUIRE(AppOf(fewer, "web").replayed.booked / 10 == Approx(2400));  // 40% of 6 cores
  REQUIRE(AppOf(fewer, "web").recorded.booked / 10 == Approx(3200));

  PoolEdits only;
  only.only_nodes = {"node-1", "node-2"};
  const ReplayReport two = ReplayUnder(kRecorded, periods, only);
  REQUIRE(two.nodes.size() == 2);
  REQUIRE(two.nodes[0].name == "node-1");
  REQUIRE(AppOf(two, "web").replayed.booked / 10 == Approx(1600));  // 40% of 4 cores

  PoolEdits move;
  move.moves.push_back(*ParseMove("web:node-0:node-1"));
  auto replay = Replay::Create(testing::ParseDoc(kRecorded), move);
  REQUIRE(replay.ok());
  const CpuPlan plan = replay->Plan(periods[0]);
  const NodePlan* n0 = plan.FindNode(NodeId::FromName("node-0"));
  const NodePlan* n1 = plan.FindNode(NodeId::FromName("node-1"));
  auto web_on = [&](const NodePlan* n) {
    for (size_t k = n->first; k < n->first + n->count; ++k) {
      if (plan.apps[plan.instances[k].app].name == "web") return plan.instances[k].demand;
    }
    return -1.0;
  };
  REQUIRE(web_on(n0) == -1.0);
  REQUIRE(web_on(n1) == Approx(Demand("web", 0, 0) + Demand("web", 1, 0)));

  REQUIRE(!replay->CheckEdits().ok());  // Plan() alone adds no period: node-0 was never seen
  auto checked = [&](PoolEdits edits) {
    auto r = Replay::Create(testing::ParseDoc(kRecorded), std::move(edits));
    REQUIRE(r.ok());
    for (const auto& p : periods) r->Add(p);
    return r->CheckEdits();
  };
  REQUIRE(checked(without).ok());
  REQUIRE(checked(only).ok());
  REQUIRE(checked(move).ok());
  PoolEdits bad;
  bad.without_nodes = {"node-9"};
  REQUIRE(checked(bad).error().message == "--without-node node-9: no such node has figures in the period");
  bad = {};
  bad.only_nodes = {"node-1", "nod-2"};
  REQUIRE(checked(bad).error().message == "--nodes nod-2: no such node has figures in the period");
  bad = {};
  bad.moves.push_back({"mail", "node-0", "node-1"});
  REQUIRE(checked(bad).error().message.find("--move mail") == 0);
  REQUIRE(!ParseMove("web:node-0").ok());
  REQUIRE(ParseMove("web:node-0:node-0").error().message.find("would stay on node-0") != std::string::npos);
  REQUIRE(ParseMove(":a:b").error().message.find("must all be named") != std::string::npos);
}
