// shoald's web view in a real browser: headless Chromium (Selenium) loads
// the page from one node of a real pool and the test checks that it shows
// every node and application with the figures the control API gives, the
// history plots and the events; the screenshot is kept as an artifact
// (build/.../test/artifacts/web-view.png). Ends only what it started.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/pool.h"
#include "test/support/process.h"

using namespace shoal;
using shoal::testing::Output;
using shoal::testing::TestPool;

TEST_CASE("the web view shows every node and application of a real pool in headless Chromium") {
  REQUIRE(std::filesystem::exists("/usr/bin/chromedriver"));  // scripts/setup.sh installs chromium-driver
  const std::string tag = fmt::format("web-{}", ::getpid());
  testing::Child gold = testing::Spawn({SHOAL_BURN_BINARY, tag + "-gold", "--duty", "20"});
  testing::Child bronze = testing::Spawn({SHOAL_BURN_BINARY, tag + "-bronze", "--duty", "10"});
  TestPool pool;
  const uint16_t http = testing::FreePort();
  pool.Start(0, {"--enforcer", "off"});
  pool.Start(1, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http)});
  pool.Start(2, {"--enforcer", "off"});
  const std::string policy = pool.dir().Write("web.xml", fmt::format(R"(<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="100MB"/>
  <application name="gold"><process cmdline="*shoal-demo-burn {0}-gold*"/></application>
  <application name="bronze"><process cmdline="*shoal-demo-burn {0}-bronze*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="60%"/></policy>
  <policy application="bronze" priority="2"><cpu pool-percent="20%"/></policy>
</shoal-policy>
)", tag));
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }).status == 0);
  REQUIRE(pool.CtlUntil("nodes", 1, [](const Output& o) { return o.text.find("node-2") != std::string::npos; })
              .status == 0);

  const std::string dir = std::filesystem::current_path() / "artifacts";
  std::filesystem::create_directories(dir);
  const std::string shot = dir + "/web-view.png";
  Output seen = testing::RunCommand(fmt::format("/usr/bin/python3 {}/test/support/web_view_check.py http://127.0.0.1:{}/ {} 3 2",
                                                SHOAL_SOURCE_DIR, http, shot));
  INFO(seen.text);
  REQUIRE(seen.status == 0);
  const auto page = nlohmann::json::parse(seen.text.substr(seen.text.find('{')));
  CHECK(page["error"] == "");
  CHECK(page["loaded_s"].is_number());
  CHECK(page["header"]["answered-by"] == "node-1");
  CHECK(page["header"]["nodes-live"] == "3 live, 0 failed");
  CHECK(page["header"]["mode"] == "enforce");
  std::set<std::string> nodes;
  for (const auto& n : page["nodes"]) nodes.insert(n["name"].get<std::string>() + ":" + n["state"].get<std::string>());
  CHECK(nodes == std::set<std::string>{"node-0:alive", "node-1:self", "node-2:alive"});
  // The figures the control API gives (they move a little each second).
  const auto apps = nlohmann::json::parse(pool.Ctl("apps --json", 1).text);
  std::map<std::string, double> allocated;
  for (const auto& a : apps["apps"]) allocated[a["name"]] = a.value("allocated_m", 0.0);
  REQUIRE(page["apps"].size() == 2);
  for (const auto& a : page["apps"]) {
    const std::string name = a["name"];
    INFO(name);
    REQUIRE(allocated.count(name));
    CHECK(a["allocated_m"].get<double>() == Approx(allocated[name]).margin(150));
    CHECK(a["allocated_m"].get<double>() > 0);
  }
  size_t with_points = 0;
  for (const auto& p : page["plots"]) with_points += p["points"].get<int>() > 0;
  CHECK(page["plots"].size() == 4);  // each application over the hour and the day
  CHECK(with_points >= 2);
  std::set<std::string> pipe_plots;
  for (const auto& p : page["pipe_plots"]) pipe_plots.insert(p["name"].get<std::string>());
  CHECK(pipe_plots == std::set<std::string>{"pipe:uplink/out:3600", "pipe:uplink/out:86400"});  // the hour and the day
  CHECK_THAT(page["header"]["policy-version"].get<std::string>(), Catch::StartsWith("r1, ") && Catch::EndsWith(" from node-0"));
  bool activated = false;
  for (const auto& e : page["events"]) activated |= e == "policy.activated";
  CHECK(activated);
  CHECK_THAT(page["policy"].get<std::string>(), Catch::Contains("shoal-policy"));
  CHECK(std::filesystem::file_size(shot) > 10000);
}
