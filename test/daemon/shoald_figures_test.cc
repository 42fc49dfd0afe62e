// Real shoald processes planning from the pool's figures (cpu.plan_from =
// "figures"): each node publishes only a card, and the pool questions
// (status, nodes, apps, app) are answered from what the nodes and the node
// representing the pool are asked over peer streams; /metrics shows the
// roll-up at work.
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/pool.h"
#include "test/support/process.h"

using namespace shoal;
using testing::Output;
using testing::RunCommand;

namespace {

// The value of the sample named exactly `sample` (labels included), or -1.
double Value(const std::string& text, const std::string& sample) {
  const size_t at = text.find("\n" + sample + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + sample.size() + 2));
}

}  // namespace

TEST_CASE("shoald planning from figures: status, nodes, apps and app answered from the nodes asked") {
  const std::string tag = fmt::format("figures-{}", ::getpid());
  // One machine: every node sees the burner's process, one gold instance each.
  testing::Child gold = testing::Spawn({SHOAL_BURN_BINARY, tag + "-gold", "--duty", "20"});
  testing::TestPool pool;
  pool.SetConfig(pool.dir().Write("figures.toml", "[cpu]\nplan_from = \"figures\"\n"));
  const uint16_t http = testing::FreePort();
  pool.Start(0, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http)});
  for (size_t i = 1; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  const std::string policy = pool.dir().Write("gold.xml", fmt::format(R"(<shoal-policy mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {}-gold*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="30%"/></policy>
</shoal-policy>
)", tag));
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }).status == 0);

  // Planning from figures once the first levels are heard; the pool's
  // figures then hold gold's three instances.
  Output status = pool.CtlUntil("status --json", 1, [](const Output& o) {
    if (o.status != 0) return false;
    const auto j = nlohmann::json::parse(o.text);
    return j.value("planning", "") == "figures" && j.value("instances", 0) == 3;
  });
  INFO(status.text);
  REQUIRE(status.status == 0);
  const auto s = nlohmann::json::parse(status.text);
  CHECK(s["nodes_live"] == 3);
  CHECK(s["nodes_on_policy"] == 3);  // announced on the policy channel, not on cards
  CHECK(s["applications"] == 1);
  CHECK_THAT(s["figures_from"].get<std::string>(), Catch::StartsWith("node-"));
  CHECK_THAT(pool.Ctl("status", 1).text, Catch::Contains("planning     from the pool's figures, rolled up to node-"));

  // nodes: every node's own figures, asked of it (its status is a card).
  Output nodes = pool.CtlUntil("nodes --json", 2, [](const Output& o) {
    if (o.status != 0) return false;
    const auto j = nlohmann::json::parse(o.text);
    size_t with_gold = 0;
    for (const auto& n : j["nodes"]) with_gold += n.value("instances", 0) == 1;
    return with_gold == 3;
  });
  INFO(nodes.text);
  REQUIRE(nodes.status == 0);
  const auto n = nlohmann::json::parse(nodes.text);
  REQUIRE(n["nodes"].size() == 3);
  CHECK(n.value("unanswered", nlohmann::json::array()).empty());
  for (const auto& node : n["nodes"]) {
    CHECK(node["capacity_m"].get<double>() > 0);
    CHECK(node["mem_available_kb"].get<double>() > 0);  // not on a card: asked
    CHECK(node["policy_version"] == s["policy_version"]);
  }

  // apps: the pool's totals from the node representing the pool.
  Output apps = pool.Ctl("apps --json", 0);
  INFO(apps.text);
  REQUIRE(apps.status == 0);
  const auto a = nlohmann::json::parse(apps.text);
  REQUIRE(a["apps"].size() == 1);
  CHECK(a["apps"][0]["name"] == "gold");
  CHECK(a["apps"][0]["instances"] == 3);
  CHECK(a["apps"][0]["entitlement_m"].get<double>() > 0);
  CHECK(a["pool_capacity_m"].get<double>() == Approx(s["capacity_m"].get<double>()));

  // app: every instance with its node's row, once every node plans its row
  // from the levels (until it first hears them, a node's row comes from the
  // statuses, which are cards here: no instance of its own; the figures
  // above may hold its part before the levels reach it).
  Output app = pool.CtlUntil("app gold --json", 2, [](const Output& o) {
    return o.status == 0 && nlohmann::json::parse(o.text)["instances"].size() == 3;
  });
  INFO(app.text);
  REQUIRE(app.status == 0);
  const auto d = nlohmann::json::parse(app.text);
  REQUIRE(d["instances"].size() == 3);
  CHECK(d["instances"][0]["node"] == "node-0");
  CHECK(d["instances"][2]["node"] == "node-2");
  CHECK(d["instances"][0]["period_us"] == 100000);
  CHECK(d["app"]["instances"] == 3);
  Output none = pool.Ctl("app nosuch", 1);
  CHECK(none.status == 1);
  CHECK_THAT(none.text, Catch::Contains("no application 'nosuch' runs in the pool (3 node(s) asked, 0 did not answer)"));

  // A dry run compares the pool's bookings under the draft, from the pool's figures.
  const std::string more = pool.dir().Write("gold60.xml", fmt::format(R"(<shoal-policy mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {}-gold*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="60%"/></policy>
</shoal-policy>
)", tag));
  Output dry = pool.Ctl("policy push --dry-run " + more, 1);
  INFO(dry.text);
  REQUIRE(dry.status == 0);
  CHECK_THAT(dry.text, Catch::Contains("gold") && Catch::Contains("bookings are compared from the pool's figures"));
  Output dry_json = pool.Ctl("policy push --dry-run --json " + more, 1);
  const auto dj = nlohmann::json::parse(dry_json.text);
  REQUIRE(dj["changes"]["apps"].size() == 1);
  // 3 x 20% duty of one CPU each wants ~0.6 cores: under 30% and 60% of 6 cores its whole demand is booked.
  CHECK(dj["changes"]["apps"][0]["booked_draft_m"].get<double>() > 0);
  CHECK(dj["changes"]["apps"][0]["booked_now_m"].get<double>() > 0);
  Output explain = pool.Ctl("explain gold", 2);
  INFO(explain.text);
  CHECK(explain.status == 0);
  CHECK_THAT(explain.text, Catch::Contains("this pool plans from its figures"));

  // /metrics shows the roll-up at work: node 0 holds its own zone at least,
  // and sent its part up or took the whole as the pool's representative.
  const std::string metrics = RunCommand(fmt::format("curl -s -S -m 5 http://127.0.0.1:{}/metrics", http)).text;
  INFO(metrics);
  CHECK(Value(metrics, "shoal_planning_from_figures") == 1);
  CHECK(Value(metrics, "shoal_rollup_zones_held") >= 1);
  CHECK(Value(metrics, "shoal_rollup_parts_sent_total") + Value(metrics, "shoal_rollup_wholes_total") > 0);
  CHECK(Value(metrics, "shoal_levels_heard_total") + Value(metrics, "shoal_levels_published_total") > 0);
  CHECK(Value(metrics, "shoal_rollup_parts_refused_total") == 0);
  for (size_t i = 0; i < 3; ++i) CHECK(pool.node(i).process.Stop() == 0);
}
