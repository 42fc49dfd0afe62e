// Planning from history against real daemons: the pool's own history,
// replayed under the policy it ran, gives back the allocations it recorded
// period by period; whatif and suggest from the command line.
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "policy/parser.h"
#include "test/support/pool.h"
#include "test/support/process.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/recorded.h"

using namespace shoal;
using testing::Output;

namespace {

// Periods in which every one of `nodes` recorded figures and each of them
// had both applications.
bool Complete(const policy::RecordedPeriod& p, size_t nodes) {
  return p.nodes.size() == nodes && p.instances.size() == 2 * nodes && p.failed_nodes == 0;
}

}  // namespace

TEST_CASE("whatif on a real pool: its history replayed under its own policy gives back what it recorded") {
  const std::string tag = fmt::format("whatif-{}", ::getpid());
  testing::Child gold = testing::Spawn({SHOAL_BURN_BINARY, tag + "-gold", "--duty", "30"});
  testing::Child silver = testing::Spawn({SHOAL_BURN_BINARY, tag + "-silver", "--duty", "60"});
  testing::TestPool pool;
  constexpr size_t kNodes = 3;
  for (size_t i = 0; i < kNodes; ++i) pool.Start(i, {"--enforcer", "off"});
  const std::string policy_text = fmt::format(R"(<shoal-policy mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {0}-gold*"/></application>
  <application name="silver"><process cmdline="*shoal-demo-burn {0}-silver*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="10%"/></policy>
  <policy application="silver" priority="2"><cpu server-percent="5%" cap="40%"/></policy>
</shoal-policy>
)", tag);
  const std::string policy = pool.dir().Write("policy.xml", policy_text);
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }, 50).status == 0);
  // Every node sees both burners (one machine's /proc) once its status carries them.
  REQUIRE(pool.CtlUntil("apps", 1, [](const Output& o) {
    return o.text.find("gold") != std::string::npos && o.text.find("silver") != std::string::npos;
  }).status == 0);
  const int64_t from = WallClockMs() + 3000;  // every node planning from every node's figures
  ::sleep(15);
  const int64_t to = WallClockMs() - 1000;

  ctl::ControlTarget target;
  target.node = Endpoint{0x7f000001, pool.node(1).control};
  target.token = pool.admin_token();
  std::vector<policy::RecordedPeriod> periods;
  auto recorded = ctl::FetchRecorded(target, from, to, 2000, [&](const policy::RecordedPeriod& p) { periods.push_back(p); });
  REQUIRE(recorded.ok());
  REQUIRE(recorded->step_ms == 2000);
  REQUIRE(recorded->periods == periods.size());
  auto replay = policy::Replay::Create(policy::ParsePolicy(policy_text).document);
  REQUIRE(replay.ok());
  size_t compared = 0, instances = 0, equal = 0;
  double worst = 0;
  for (const auto& p : periods) {
    if (!Complete(p, kNodes)) continue;
    ++compared;
    const policy::CpuPlan plan = replay->Plan(p);
    for (const auto& i : p.instances) {
      const policy::NodePlan* node = plan.FindNode(i.node);
      REQUIRE(node != nullptr);
      for (size_t k = node->first; k < node->first + node->count; ++k) {
        if (plan.apps[plan.instances[k].app].name != i.app) continue;
        // Each node planned from the others' figures as gossip brought
        // them (up to a second old) and recorded its own; a bucket
        // averages two samples: allow 2% of the node's capacity.
        const double diff = std::abs(plan.instances[k].allocation - i.allocation);
        worst = std::max(worst, diff / node->capacity);
        ++instances;
        if (diff <= 0.02 * node->capacity) ++equal;
      }
    }
  }
  INFO(fmt::format("{} complete period(s) of {}, {} instance(s), {} within 2%, worst {:.1f}% of a node", compared,
                   periods.size(), instances, equal, worst * 100));
  REQUIRE(compared >= 4);
  REQUIRE(instances == compared * 2 * kNodes);
  REQUIRE(equal >= instances * 9 / 10);

  // The same from the command line: the active policy as a draft changes nothing.
  const std::string window = fmt::format("--from {} --to {} --step 2s", ctl::FormatTime(from).replace(10, 1, "T"),
                                         ctl::FormatTime(to).replace(10, 1, "T"));
  Output same = pool.Ctl("whatif " + policy + " " + window + " -o json", 2);
  INFO(same.text);
  REQUIRE(same.status == 0);
  auto j = nlohmann::json::parse(same.text);
  REQUIRE(j["overbooked_periods"] == 0);
  REQUIRE(j["applications"].size() == 2);
  for (const auto& a : j["applications"]) {
    INFO(a.dump());
    REQUIRE(a["draft"]["booked_m"].get<double>() == Approx(a["recorded"]["booked_m"].get<double>()).epsilon(0.05));
  }
  // A draft that books far more than the pool has is named as such.
  const std::string greedy = pool.dir().Write("greedy.xml", fmt::format(R"(<shoal-policy mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {0}-gold*"/></application>
  <application name="silver"><process cmdline="*shoal-demo-burn {0}-silver*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="90%"/></policy>
  <policy application="silver" priority="2"><cpu pool-percent="50%"/></policy>
</shoal-policy>
)", tag));
  Output over = pool.Ctl("whatif " + greedy + " " + window + " --without-node node-2", 0);
  INFO(over.text);
  REQUIRE(over.status == 0);
  CHECK_THAT(over.text, Catch::Contains("Pool edited: without node-2"));
  CHECK_THAT(over.text, Catch::Contains("The draft OVERBOOKS the pool in") && Catch::Contains("asking up to 140%"));
  CHECK_THAT(over.text, Catch::Contains("silver's booking could not be met in"));
  REQUIRE(over.text.find("node-2 ") == std::string::npos);  // not among the nodes
  Output only = pool.Ctl("whatif " + greedy + " " + window + " --nodes node-0,node-1 -o json", 0);
  INFO(only.text);
  REQUIRE(only.status == 0);
  auto oj = nlohmann::json::parse(only.text);
  REQUIRE(oj["nodes"].size() == 2);
  REQUIRE(oj["edits"] == "only node-0, node-1");
  Output unknown = pool.Ctl("whatif " + greedy + " " + window + " --without-node node-9", 0);
  REQUIRE(unknown.status == 1);
  CHECK_THAT(unknown.text, Catch::Contains("--without-node node-9: no such node has figures in the period"));

  // suggest: a document the daemons accept, booking what the burners used.
  const std::string file = pool.dir().File("suggested.xml");
  Output suggested = pool.Ctl("suggest " + window + " --percentile 90 --headroom 25% --out " + file, 0);
  INFO(suggested.text);
  REQUIRE(suggested.status == 0);
  CHECK_THAT(suggested.text, Catch::StartsWith("suggested from ") && Catch::Contains("2 application(s) booked"));
  const std::string doc = testing::ReadAll(file);
  CHECK_THAT(doc, Catch::Contains("<!-- gold: ") && Catch::Contains("90th percentile"));
  Output dry = pool.Ctl("policy push --dry-run " + file, 1);
  INFO(dry.text);
  REQUIRE(dry.status == 0);
}
