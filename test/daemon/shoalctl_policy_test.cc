// shoalctl's policy habits against real daemons: a dry run that stamps
// nothing, revisions numbered pool-wide and shown with their time and
// origin, a node's kept history, show --rev, diff, rollback, and the pool
// options before the subcommand with -o json and -o wide; and explain,
// why an application gets what it gets.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/pool.h"
#include "test/support/process.h"

using namespace shoal;
using testing::ReadAll;
using testing::Output;

namespace {

std::string Example(const char* name) { return std::string(SHOAL_SOURCE_DIR "/examples/policies/") + name; }

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

size_t Lines(const Output& o) { return static_cast<size_t>(std::count(o.text.begin(), o.text.end(), '\n')); }

}  // namespace

TEST_CASE("shoalctl policy: dry run, revisions, history, show --rev, diff and rollback on a real pool") {
  testing::TestPool pool;
  for (size_t i = 0; i < 2; ++i) pool.Start(i, {"--enforcer", "off"});
  REQUIRE(Lines(pool.CtlUntil("policy versions", 0, [](const Output& o) { return o.status == 0 && Lines(o) == 2; })) == 2);

  // A dry run validates against the live pool and stamps nothing.
  Output dry = pool.Ctl("policy push --dry-run " + Example("small.xml"), 0);
  INFO(dry.text);
  REQUIRE(dry.status == 0);
  CHECK_THAT(dry.text, Catch::Contains("dry run on node-0: the draft is valid (mode enforce, 2 application(s))"));
  CHECK_THAT(dry.text, Catch::Contains("against: no active policy"));
  CHECK_THAT(dry.text, Catch::Contains("+ policy gold"));
  CHECK_THAT(dry.text, Catch::Contains("note: gold is new"));
  REQUIRE(pool.Ctl("policy show", 0).status == 1);  // still no policy
  Output bad_dry = pool.Ctl("policy push --dry-run -", 0);  // empty standard input
  REQUIRE(bad_dry.status == 1);

  Output r1 = pool.Ctl("policy push " + Example("small.xml"), 0);
  INFO(r1.text);
  REQUIRE(r1.status == 0);
  REQUIRE_THAT(r1.text, Catch::StartsWith("r1, ") && Catch::Contains(" from node-0 (mode enforce)"));
  pool.CtlUntil("policy show", 1, [](const Output& o) { return o.text.starts_with("r1, "); });
  Output r2 = pool.Ctl("policy push " + Example("small-reversed.xml"), 1);  // the next number, from another node
  INFO(r2.text);
  REQUIRE_THAT(r2.text, Catch::StartsWith("r2, ") && Catch::Contains(" from node-1"));
  const std::string stamp2 = r2.text.substr(0, r2.text.find(" (mode"));
  Output versions = pool.CtlUntil("policy versions", 0, [&](const Output& o) {
    return Count(o.text, " " + stamp2 + "\n") == 2;
  });
  INFO(versions.text);
  REQUIRE_THAT(versions.text, Catch::Contains("node-0 " + stamp2) && Catch::Contains("node-1 " + stamp2));

  // The dry run of the first document against r2 names what differs.
  dry = pool.Ctl("policy push --dry-run " + Example("small.xml"), 0);
  INFO(dry.text);
  CHECK_THAT(dry.text, Catch::Contains("against: " + stamp2));
  // The active r2 is small-reversed.xml: gold at priority 2 with 25% capped at 40%, bronze first at 75%.
  CHECK_THAT(dry.text, Catch::Contains("~ policy gold: priority 2 -> 1, cpu 25% of the pool, cap 40% of the pool -> "
                                       "75% of the pool\n") &&
                           Catch::Contains("~ policy bronze: priority 1 -> 2, cpu 75% of the pool -> 25% of the pool\n"));
  CHECK_THAT(dry.text, Catch::Contains("CPU plan now and under the draft"));

  Output history = pool.Ctl("policy history", 0);
  INFO(history.text);
  REQUIRE(history.status == 0);
  REQUIRE_THAT(history.text, Catch::Contains("REVISION") && Catch::Contains("r2 ") && Catch::Contains("r1 "));
  REQUIRE(history.text.find("r2 ") < history.text.find("r1 "));  // newest first
  Output shown = pool.Ctl("policy show --rev r1", 0);
  REQUIRE(shown.status == 0);
  REQUIRE_THAT(shown.text, Catch::StartsWith("r1, ") && Catch::Contains("not active"));
  REQUIRE_THAT(shown.text, Catch::EndsWith(ReadAll(Example("small.xml"))));
  REQUIRE(pool.Ctl("policy show --rev r9", 0).status == 1);
  REQUIRE_THAT(pool.Ctl("policy show --rev x", 0).text, Catch::Contains("'x' is not a revision"));

  Output diff = pool.Ctl("policy diff " + Example("small.xml"), 0);
  INFO(diff.text);
  REQUIRE(diff.status == 0);
  REQUIRE_THAT(diff.text, Catch::StartsWith("--- active " + stamp2 + "\n+++ " + Example("small.xml") + "\n@@ "));
  REQUIRE_THAT(pool.Ctl("policy diff " + Example("small-reversed.xml"), 0).text,
               Catch::Equals("no difference from the active policy\n"));
  REQUIRE_THAT(pool.Ctl("policy diff", 0).text, Catch::Contains("give a FILE or --rev"));

  // Rollback: r1's document again, as r3; the active one cannot be rolled back to.
  Output r3 = pool.Ctl("policy rollback r1", 0);
  INFO(r3.text);
  REQUIRE(r3.status == 0);
  REQUIRE_THAT(r3.text, Catch::StartsWith("r3, ") && Catch::Contains("from node-0"));
  Output again = pool.Ctl("policy rollback r3", 0);
  REQUIRE(again.status == 1);
  REQUIRE_THAT(again.text, Catch::Contains("r3 is the active revision: nothing to roll back"));
  Output on1 = pool.CtlUntil("policy show", 1, [](const Output& o) { return o.text.starts_with("r3, "); });
  REQUIRE_THAT(on1.text, Catch::EndsWith(ReadAll(Example("small.xml"))));
  Output events = pool.Ctl("events --type policy.pushed --json", 0);
  REQUIRE_THAT(events.text, Catch::Contains("\"subject\":\"r3\"") && Catch::Contains("\"rollback_of\":\"1\""));

  // The pool options before the subcommand; -o json with numbers and times; -o wide.
  const std::string before = fmt::format("{} --node 127.0.0.1:{} --token {} -o json", SHOALCTL_BINARY,
                                         pool.node(0).control, pool.admin_token());
  Output json;
  for (int i = 0; i < 50; ++i) {  // until node-1's announcement of r3 reached node-0
    json = testing::RunCommand(before + " policy versions");
    if (json.status != 0 || json.text.find("\"revision\":2") == std::string::npos) break;
    ::usleep(100'000);
  }
  INFO(json.text);
  REQUIRE(json.status == 0);
  auto j = nlohmann::json::parse(json.text);
  REQUIRE(j["nodes"].size() == 2);
  for (const auto& n : j["nodes"]) {
    CHECK(n["stamp"]["revision"] == 3);
    CHECK(n["stamp"]["time_ms"].is_number_integer());
    CHECK(n["stamp"]["time"].get<std::string>().ends_with("Z"));
  }
  // Each node publishes its status (with its policy) once a second.
  auto on_r3 = [](const Output& o) { return Count(o.text, " r3\n") == 2; };
  Output table = pool.CtlUntil("nodes", 0, on_r3, 50), wide = pool.Ctl("nodes -o wide", 0);
  INFO(table.text << wide.text);
  CHECK_THAT(table.text, Catch::Contains("POLICY") && Catch::Contains(" r3") && !Catch::Contains("PROTO"));
  CHECK_THAT(wide.text, Catch::Contains("PROTO") && Catch::Contains("ENFORCER") && Catch::Contains(" r3"));
  CHECK_THAT(pool.Ctl("status", 0).text, Catch::Contains("policy       r3, ") && Catch::Contains("(on 2 of 2 nodes)"));
}

TEST_CASE("shoalctl explain: the policy in force, the planner's steps and the figures' ages, from any node") {
  const std::string tag = fmt::format("explain-{}", ::getpid());
  testing::Child gold = testing::Spawn({SHOAL_BURN_BINARY, tag + "-gold", "--duty", "20"});
  testing::TestPool pool;
  for (size_t i = 0; i < 2; ++i) pool.Start(i, {"--enforcer", "off"});
  const std::string policy = pool.dir().Write("explain.xml", fmt::format(R"(<shoal-policy mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {}-gold*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="30%"/></policy>
</shoal-policy>
)", tag));
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }).status == 0);
  // Both nodes run the burner's process (one machine): two instances, once each node's status carries it.
  Output x = pool.CtlUntil("explain gold", 1, [](const Output& o) { return o.text.find("2 instance(s)") != std::string::npos; });
  INFO(x.text);
  REQUIRE(x.status == 0);
  CHECK_THAT(x.text, Catch::StartsWith("gold as node-1 sees it now (policy r1, "));
  CHECK_THAT(x.text, Catch::Contains("in force: priority 1, 30% of the pool (from policy)"));
  CHECK_THAT(x.text, Catch::Contains("1. policy: ") && Catch::Contains("bookings:"));
  CHECK_THAT(x.text, Catch::Contains("  node-0 ") && Catch::Contains("  node-1 "));
  Output on = pool.Ctl("explain gold --on node-0 --json", 1);
  INFO(on.text);
  REQUIRE(on.status == 0);
  const auto j = nlohmann::json::parse(on.text);
  REQUIRE(j["figures"].size() == 1);
  CHECK(j["figures"][0]["node"] == "node-0");
  CHECK(j["figures"][0]["age_s"].get<double>() >= 0);
  CHECK(j["figures"][0]["age_s"].get<double>() < 5);  // statuses come every second
  REQUIRE(j["notes"].size() == 1);
  CHECK_THAT(j["notes"][0].get<std::string>(), Catch::Contains("node-0 plans its own row from its own figures"));
  Output unknown = pool.Ctl("explain nothing", 0);
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.text, Catch::Contains("no application \"nothing\"") && Catch::Contains("as node-0 sees the pool now"));
  CHECK_THAT(pool.Ctl("explain gold --on node-9", 0).text, Catch::Contains("node-9 runs no instance of gold"));
}
