// shoalctl's offline commands: allocate and plan, through their library and
// through the real binary (exit codes, standard input).
#include <array>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/plan_explain.h"
#include "tools/ctl/allocate_cmd.h"
#include "tools/ctl/plan_cmd.h"

using namespace shoal;
using namespace shoal::ctl;

namespace {

Result<AllocateOutput> Allocate(const std::string& text) {
  auto doc = ParseJsonText(text, "test");
  if (!doc) return doc.error();
  auto in = ReadAllocateInput(*doc);
  if (!in) return in.error();
  return RunAllocate(*in);
}

std::string AllocateError(const std::string& text) {
  auto out = Allocate(text);
  REQUIRE_FALSE(out.ok());
  return out.error().message;
}

Result<PlanDocument> ReadPlan(const std::string& text) {
  auto doc = ParseJsonText(text, "test");
  if (!doc) return doc.error();
  return ReadPlanDocument(*doc);
}

std::string PlanError(const std::string& text) {
  auto out = ReadPlan(text);
  REQUIRE_FALSE(out.ok());
  return out.error().message;
}

struct Run {
  int status;
  std::string out;
};

// Runs the real shoalctl with `args`, feeding `input` on standard input.
Run Shoalctl(const std::string& args, const std::string& input = "") {
  std::string path = std::string(SHOAL_BINARY_DIR) + "/shoalctl-input-" + std::to_string(getpid()) + ".json";
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fwrite(input.data(), 1, input.size(), f);
  std::fclose(f);
  std::string cmd = std::string(SHOALCTL_BINARY) + " " + args + " < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  std::remove(path.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const char* kIssueExample = R"({"capacity": 10, "minimum": 0, "integer": false, "leftover": "reserve",
 "consumers": [{"name": "web", "levels": [2, 4]}, {"name": "batch", "levels": [0, 8]}]})";

}  // namespace

TEST_CASE("shoalctl allocate prints amounts in input order without trailing zeros") {
  auto out = Allocate(kIssueExample);
  REQUIRE(out.ok());
  REQUIRE(AllocateText(*out) == "web 4\nbatch 6\nreserve 0\n");
  REQUIRE(AllocateJson(*out) == "{\"allocations\":{\"web\":4,\"batch\":6},\"reserve\":0}\n");

  auto half = Allocate(R"({"capacity": 10.5, "consumers": [{"name": "z", "levels": [2, 4]},
                          {"name": "a", "levels": [0, 8]}]})");
  REQUIRE(AllocateText(*half) == "z 4\na 6.5\nreserve 0\n");
  REQUIRE(AllocateJson(*half) == "{\"allocations\":{\"z\":4,\"a\":6.5},\"reserve\":0}\n");

  auto spread = Allocate(R"({"capacity": 10, "leftover": "spread",
                            "consumers": [{"name": "a", "levels": [1]}, {"name": "b", "levels": [2]}]})");
  REQUIRE(AllocateText(*spread) == "a 4.5\nb 5.5\nreserve 0\n");
}

TEST_CASE("shoalctl allocate --integer keeps the total with the cumulative rounder") {
  auto out = Allocate(R"({"capacity": 10, "integer": true, "consumers": [
      {"name": "a", "levels": [10]}, {"name": "b", "levels": [10]}, {"name": "c", "levels": [10]}]})");
  REQUIRE(out.ok());
  // 3.33.. each: running sums 3.33, 6.67, 10 round to 3, 7, 10.
  REQUIRE(AllocateText(*out) == "a 3\nb 4\nc 3\nreserve 0\n");
  auto with_reserve = Allocate(R"({"capacity": 7, "integer": true, "minimum": 0.5, "consumers": [
      {"name": "a", "levels": [1.5]}, {"name": "b", "levels": [2.5]}]})");
  REQUIRE(AllocateText(*with_reserve) == "a 2\nb 2\nreserve 3\n");
}

TEST_CASE("shoalctl allocate refuses bad input and names the field") {
  REQUIRE_THAT(AllocateError(R"({"capacity": 10, "consumers": [{"name": "a", "levels": [1]}], "spare": 1})"),
               Catch::Contains("spare: unknown field"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 10, "consumers": [{"name": "a", "levels": [1, -2]}]})"),
               Catch::Contains("consumers[0].levels[1]: -2 is negative"));
  REQUIRE_THAT(AllocateError(R"({"capacity": -1, "consumers": [{"name": "a", "levels": [1]}]})"),
               Catch::Contains("capacity: -1 is negative"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 10, "consumers": []})"), Catch::Contains("consumers: empty"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 10})"), Catch::Contains("consumers: missing"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 10, "consumers": [{"name": "a", "levels": [1]},
                                 {"name": "a", "levels": [2]}]})"),
               Catch::Contains("consumers[1].name: \"a\" appears twice"));
  REQUIRE_THAT(AllocateError(R"({"capacity": "ten", "consumers": [{"name": "a", "levels": [1]}]})"),
               Catch::Contains("capacity: expected a number, found string"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 1, "leftover": "keep", "consumers": [{"name": "a", "levels": [1]}]})"),
               Catch::Contains("leftover: \"keep\""));
  REQUIRE_THAT(AllocateError(R"({"capacity": 1, "consumers": [{"name": "a", "levels": [1], "level": 2}]})"),
               Catch::Contains("consumers[0].level: unknown field"));
  REQUIRE_THAT(AllocateError(R"({"capacity": 1, "consumers": [{"name": "", "levels": [1]}]})"),
               Catch::Contains("consumers[0].name: must not be empty"));
  REQUIRE_THAT(AllocateError("{\"capacity\": 1,\n \"consumers\": [}"),
               Catch::Contains("line 2, column"));
  REQUIRE_THAT(AllocateError("[1, 2]"), Catch::Contains("the document: expected an object"));
  // Found by the fuzzer: a number beyond a double was an uncaught exception.
  REQUIRE_THAT(AllocateError(R"({"capacity": 1e999, "consumers": []})"), Catch::Contains("not valid JSON: number overflow"));
}

TEST_CASE("shoalctl plan reads the shipped example and plans it") {
  std::FILE* f = std::fopen(SHOAL_SOURCE_DIR "/examples/plan/small-pool.json", "r");
  REQUIRE(f != nullptr);
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
  std::fclose(f);
  auto doc = ReadPlan(text);
  REQUIRE(doc.ok());
  PlanResult plan = RunPlan(*doc);
  const auto* web = plan.cpu.FindApp("web");
  REQUIRE(web->entitlement == Approx(6400));  // 40% of 16000
  REQUIRE(web->booked == Approx(6400));
  for (const auto& node : plan.cpu.nodes) {
    int64_t total = node.reserve;
    for (size_t j = 0; j < node.count; ++j) total += plan.cpu.instances[node.first + j].millicores;
    REQUIRE(total == static_cast<int64_t>(node.capacity));
  }
  REQUIRE(plan.pipes.size() == 2);
  uint64_t credit = 0;
  for (const auto& c : plan.pipes[0].division.credits) credit += c.total();
  REQUIRE(credit <= 250'000);
  REQUIRE(credit >= 250'000 - 3);

  std::string text_out = PlanText(plan);
  REQUIRE_THAT(text_out, Catch::Contains("node db-1: capacity 8000 mc"));
  REQUIRE_THAT(text_out, Catch::Contains("pipe uplink"));
  auto json = Json::parse(PlanJson(plan));
  REQUIRE(json["pool_capacity"] == 16000);
  REQUIRE(json["nodes"].size() == 3);
  REQUIRE(json["pipes"][0]["credits"].size() == 3);

  auto why = policy::ExplainApp(plan.cpu, "web");
  REQUIRE(why.ok());
  REQUIRE_THAT(*why, Catch::Contains("40% of the pool"));
  REQUIRE_THAT(*why, Catch::Contains("entitlement asked: 6400 mc"));
  REQUIRE_THAT(*why, Catch::Contains("web-2: demand 2500 mc, booked 2900 mc"));
  REQUIRE_FALSE(policy::ExplainApp(plan.cpu, "nothing").ok());
}

TEST_CASE("shoalctl plan refuses bad documents and names the field") {
  const std::string nodes = R"("nodes": [{"name": "n1", "capacity": 1000}])";
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "instances": [{"app": "a", "node": "n9", "demand": 1}]})"),
               Catch::Contains("instances[0].node: \"n9\" is not in nodes"));
  REQUIRE_THAT(PlanError(R"({"nodes": [{"name": "n1", "capacity": 1}, {"name": "n1", "capacity": 2}]})"),
               Catch::Contains("nodes[1].name: \"n1\" appears twice"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "policies": [{"app": "a", "pool_percent": 10, "millicores": 5}]})"),
               Catch::Contains("policies[0]: give exactly one of"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "policies": [{"app": "a", "pool_percent": 40, "cap": 20}]})"),
               Catch::Contains("policies[0].cap: 20 is below the policy's own amount, 40"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "policies": [{"app": "a", "pool_percent": 140}]})"),
               Catch::Contains("policies[0].pool_percent: 140 is above the largest allowed, 100"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "policies": [{"app": "a", "millicores": 1, "priority": 0}]})"),
               Catch::Contains("policies[0].priority: 0 is outside 1..100"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "policies": [{"app": "a", "millicores": 1}, {"app": "a", "millicores": 2}]})"),
               Catch::Contains("policies[1].app: \"a\" has a policy already"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "instances": [{"app": "a", "node": "n1", "demand": 1},
                                              {"app": "a", "node": "n1", "demand": 2}]})"),
               Catch::Contains("instances[1]: a second instance of \"a\" on \"n1\""));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "options": {"minimum": 1, "spare": true}})"),
               Catch::Contains("options.spare: unknown field"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "pipes": [{"name": "up", "capacity": 100, "immediate_share": 2}]})"),
               Catch::Contains("pipes[0].immediate_share: 2 is above the largest allowed, 1"));
  REQUIRE_THAT(PlanError("{" + nodes + R"(, "pipes": [{"name": "up", "capacity": 100,
                                              "queued": [{"node": "n1", "booked": -5}]}]})"),
               Catch::Contains("pipes[0].queued[0].booked: -5 is outside"));
  REQUIRE_THAT(PlanError(R"({"nodes": []})"), Catch::Contains("nodes: empty"));
}

TEST_CASE("The shoalctl binary: exit codes, standard input, --json, --explain") {
  Run ok = Shoalctl("allocate -", kIssueExample);
  REQUIRE(ok.status == 0);
  REQUIRE(ok.out == "web 4\nbatch 6\nreserve 0\n");
  Run json = Shoalctl("allocate --json -", kIssueExample);
  REQUIRE(json.status == 0);
  REQUIRE(json.out == "{\"allocations\":{\"web\":4,\"batch\":6},\"reserve\":0}\n");
  // -o json, after the subcommand or before it, as the pool commands take it.
  REQUIRE(Shoalctl("allocate -o json -", kIssueExample).out == json.out);
  REQUIRE(Shoalctl("-o json allocate -", kIssueExample).out == json.out);
  REQUIRE(Shoalctl("allocate -o yaml -", kIssueExample).status == 2);

  Run bad = Shoalctl("allocate -", R"({"capacity": 10, "consumers": []})");
  REQUIRE(bad.status == 1);
  REQUIRE_THAT(bad.out, Catch::Contains("shoalctl: standard input: consumers: empty"));
  Run missing = Shoalctl("allocate /nonexistent/shares.json");
  REQUIRE(missing.status == 1);
  REQUIRE_THAT(missing.out, Catch::Contains("/nonexistent/shares.json: cannot open"));
  Run usage = Shoalctl("allocate");
  REQUIRE(usage.status == 2);
  Run help = Shoalctl("--help");
  REQUIRE(help.status == 0);
  REQUIRE_THAT(help.out, Catch::Contains("Examples:"));

  Run plan = Shoalctl("plan " SHOAL_SOURCE_DIR "/examples/plan/small-pool.json --explain web");
  REQUIRE(plan.status == 0);
  REQUIRE_THAT(plan.out, Catch::Contains("priorities:"));
  Run unknown = Shoalctl("plan " SHOAL_SOURCE_DIR "/examples/plan/small-pool.json --explain nope");
  REQUIRE(unknown.status == 1);
  REQUIRE_THAT(unknown.out, Catch::Contains("no application or pipe \"nope\""));
  Run pipe = Shoalctl("plan " SHOAL_SOURCE_DIR "/examples/plan/small-pool.json --explain backup");
  REQUIRE(pipe.status == 0);
  REQUIRE_THAT(pipe.out, Catch::Contains("each node's credit"));
}

TEST_CASE("shoalctl plan divides a pipe per application as the daemons do, and explains it") {
  // 1 MB/s in 100 ms rounds: web booked 300 kB/s, batch capped at 500 kB/s.
  auto doc = ReadPlan(R"({"nodes": [{"name": "n1", "capacity": 1000}, {"name": "n2", "capacity": 1000},
                                    {"name": "n3", "capacity": 1000}],
    "pipes": [{"name": "up", "capacity": 1000000, "interval_ms": 100,
      "apps": [{"name": "web", "booked": 300000}, {"name": "batch", "cap": 500000}],
      "demand": [{"node": "n1", "app": "web", "rate": 100000}, {"node": "n2", "app": "web", "rate": 400000},
                 {"node": "n2", "app": "batch", "rate": 600000}, {"node": "n3", "app": "batch", "rate": 300000},
                 {"node": "n3", "app": "backup", "rate": 200000}]}]})");
  REQUIRE(doc.ok());
  PlanResult plan = RunPlan(*doc);
  REQUIRE(plan.pipes.size() == 1);
  const PipePlan& up = plan.pipes[0];
  REQUIRE(up.input.apps.size() == 3);  // backup, named only in the demand, has no terms
  uint64_t total = 0, web = 0, batch = 0;
  for (size_t n = 0; n < 3; ++n) {
    total += up.division.credits[n].total();
    const auto parts = up.round.AppCredits(n);
    web += parts[0].booked + parts[0].unbooked;
    batch += parts[1].booked + parts[1].unbooked;
  }
  CHECK(total <= 100'000);
  CHECK(total >= 100'000 - 3);
  CHECK(web >= 30'000);    // its booking, wherever it sends
  CHECK(batch <= 50'000);  // its cap, pool-wide
  REQUIRE_THAT(PlanText(plan), Catch::Contains("application  node  demand  booked  unbooked  credit"));
  auto json = Json::parse(PlanJson(plan));
  CHECK(json["pipes"][0]["app_credits"].size() == 5);

  auto why = ExplainPlan(plan, "web");
  REQUIRE(why.ok());
  CHECK_THAT(*why, Catch::Contains("1. web: booked 30000 (300000 B/s), no cap"));
  CHECK_THAT(*why, Catch::Contains("n2: 20000 booked, 20000 unbooked"));  // the booking follows the demand
  CHECK_THAT(*why, Catch::Contains("congested"));
  auto capped = ExplainPlan(plan, "batch");
  REQUIRE(capped.ok());
  CHECK_THAT(*capped, Catch::Contains("the cap holds it to 50000 pool-wide"));
  auto nodes = ExplainPlan(plan, "up");
  REQUIRE(nodes.ok());
  CHECK_THAT(*nodes, Catch::Contains("backup: no booking, no cap"));
  CHECK_THAT(*nodes, Catch::Contains("4. each node's credit"));
  CHECK_FALSE(ExplainPlan(plan, "nothing").ok());

  const std::string n1 = R"("nodes": [{"name": "n1", "capacity": 1000}])";
  CHECK_THAT(PlanError("{" + n1 + R"(, "pipes": [{"name": "up", "capacity": 100, "apps": [{"name": "a"}],
                                        "queued": [{"node": "n1", "booked": 5}]}]})"),
             Catch::Contains("pipes[0]: give either queued"));
  CHECK_THAT(PlanError("{" + n1 + R"(, "pipes": [{"name": "up", "capacity": 100,
                                        "apps": [{"name": "a", "booked": 50, "cap": 10}]}]})"),
             Catch::Contains("pipes[0].apps[0].cap: 10 is below the booking, 50"));
  CHECK_THAT(PlanError("{" + n1 + R"(, "pipes": [{"name": "up", "capacity": 100,
                                        "demand": [{"node": "n1", "app": "a", "rate": 5},
                                                   {"node": "n1", "app": "a", "rate": 6}]}]})"),
             Catch::Contains("pipes[0].demand[1]: \"a\" on \"n1\" is listed twice"));
  CHECK_THAT(PlanError("{" + n1 + R"(, "pipes": [{"name": "up", "capacity": 100,
                                        "demand": [{"node": "n7", "app": "a", "rate": 5}]}]})"),
             Catch::Contains("pipes[0].demand[0].node: \"n7\" is not in nodes"));
}

TEST_CASE("Versions: shoalctl --version and shoald --version say the version, commit, build and protocol") {
  for (const char* binary : {SHOALCTL_BINARY, SHOALD_BINARY}) {
    FILE* p = popen((std::string(binary) + " --version 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 512> buf{};
    const size_t n = std::fread(buf.data(), 1, buf.size() - 1, p);
    const int status = pclose(p);
    const std::string out(buf.data(), n);
    INFO(binary << ": " << out);
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(out, Catch::Contains(" 0.1.0 (commit ") && Catch::Contains(" build), gossip protocols 1 to 2"));
    CHECK_THAT(out, !Catch::Contains("(commit , "));
  }
}

TEST_CASE("shoalctl plan --explain covers rogues, scale-down and policies without instances") {
  auto doc = ReadPlan(R"({"nodes": [{"name": "n1", "capacity": 1000}],
    "instances": [{"app": "gold", "node": "n1", "demand": 900}, {"app": "silver", "node": "n1", "demand": 900},
                  {"app": "junk", "node": "n1", "demand": 900}],
    "policies": [{"app": "gold", "millicores": 600, "priority": 1},
                 {"app": "silver", "millicores": 800, "priority": 2},
                 {"app": "ghost", "pool_percent": 10}]})");
  REQUIRE(doc.ok());
  PlanResult plan = RunPlan(*doc);
  auto silver = policy::ExplainApp(plan.cpu, "silver");
  REQUIRE(silver.ok());
  // gold keeps 600 at priority 1 (ghost runs nowhere and takes nothing);
  // silver asks 800 of the 400 left.
  REQUIRE_THAT(*silver, Catch::Contains("it does not fit"));
  REQUIRE_THAT(*silver, Catch::Contains("scaled by 0.5000, to 400 mc"));
  auto junk = policy::ExplainApp(plan.cpu, "junk");
  REQUIRE_THAT(*junk, Catch::Contains("rogue application"));
  REQUIRE_THAT(*junk, Catch::Contains("junk gets 0 mc"));
  auto ghost = policy::ExplainApp(plan.cpu, "ghost");
  REQUIRE_THAT(*ghost, Catch::Contains("runs on no live node"));
  REQUIRE(plan.cpu.FindApp("ghost")->requested == Approx(100));
  REQUIRE(plan.cpu.FindApp("ghost")->entitlement == 0);
}

TEST_CASE("shoalctl policy validate: a valid document summarised, a broken one refused with positions") {
  Run ok = Shoalctl("policy validate " SHOAL_SOURCE_DIR "/examples/policies/full.xml");
  REQUIRE(ok.status == 0);
  REQUIRE_THAT(ok.out, Catch::Contains("valid: mode enforce, 2 pipe(s), 4 application(s), 4 policy(ies), 4 trigger(s)"));
  Run bad = Shoalctl("policy validate -", "<shoal-policy>\n  <pipe name=\"up\" out=\"fast\"/>\n</shoal-policy>\n");
  REQUIRE(bad.status == 1);
  REQUIRE_THAT(bad.out, Catch::Contains("standard input:2:3: <pipe>: out: \"fast\" is not a rate"));
  REQUIRE_THAT(bad.out, Catch::Contains("1 error(s); nothing would be applied"));
  REQUIRE(Shoalctl("policy").status == 2);
}

TEST_CASE("shoalctl refuses to send a policy over the limit, and says so") {
  // Nothing listens at port 1: the refusal comes before any connection.
  Run r = Shoalctl("policy push - --node 127.0.0.1:1 --token " + std::string(64, 'a'),
                   "<policies>" + std::string(5 << 20, ' ') + "</policies>");
  INFO(r.out);
  REQUIRE(r.status == 1);
  REQUIRE_THAT(r.out, Catch::Contains("a policy document is at most 4194304 bytes; not sent"));
}
