// Time zones against the C library's own conversion; schedules, failure
// adjustments and triggers on virtual instants across window edges and
// summer time changes.
#include <time.h>

#include <cstdlib>
#include <optional>

#include <catch2/catch.hpp>

#include "core/random.h"
#include "policy/parser.h"
#include "policy/schedule.h"
#include "policy/timezone.h"
#include "policy/triggers.h"
#include "policy/writer.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

// The C library's offset for `zone` at `t`, with TZ set for the call only.
int64_t LibcOffset(const char* zone, int64_t t) {
  const char* old = std::getenv("TZ");
  std::optional<std::string> saved;
  if (old != nullptr) saved = old;
  ::setenv("TZ", zone, 1);
  ::tzset();
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::localtime_r(&tt, &tm);
  int64_t offset = tm.tm_gmtoff;
  if (saved) {
    ::setenv("TZ", saved->c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  return offset;
}

// Unix seconds of a UTC civil time.
int64_t Utc(int y, int mo, int d, int h, int mi) {
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<int64_t>(::timegm(&tm));
}

PolicyDocument Parse(const std::string& body) {
  ParsedPolicy p = ParsePolicy("<shoal-policy>\n" + body + "</shoal-policy>\n");
  for (const auto& e : p.errors) FAIL(FormatPolicyError(e, "test"));
  return p.document;
}

}  // namespace

TEST_CASE("Time zones agree with the C library, also past the zone file's last transition") {
  Random rng(17);
  for (const char* zone : {"Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                           "America/Sao_Paulo", "Pacific/Chatham", "Europe/Berlin"}) {
    auto z = TimeZone::Load(zone);
    REQUIRE(z.ok());
    for (int i = 0; i < 3000; ++i) {
      // 1980 to 2060: the files list transitions up to 2037, the rule goes on.
      int64_t t = Utc(1980, 1, 1, 0, 0) + static_cast<int64_t>(rng.Below(80ull * 365 * 86400));
      INFO(zone << " at " << t);
      REQUIRE(z->OffsetAt(t) == LibcOffset(zone, t));
    }
  }
  REQUIRE(TimeZone::Utc().OffsetAt(1'700'000'000) == 0);
  REQUIRE_FALSE(TimeZone::Load("Mars/Olympus").ok());
  REQUIRE_FALSE(TimeZone::Load("../../etc/passwd").ok());
  REQUIRE_FALSE(TimeZone::Parse("junk", "TZif2 but nothing else").ok());
}

TEST_CASE("Local time: weekday and minute of day across the start of British summer time") {
  auto london = *TimeZone::Load("Europe/London");
  // Sunday 30 March 2025, 00:59 UTC = 00:59 GMT; 01:00 UTC = 02:00 BST.
  LocalTime before = london.At(Utc(2025, 3, 30, 0, 59));
  REQUIRE(before.weekday == 6);
  REQUIRE(before.minute_of_day == 59);
  LocalTime after = london.At(Utc(2025, 3, 30, 1, 0));
  REQUIRE(after.minute_of_day == 120);
  REQUIRE(after.utc_offset_s == 3600);
}

TEST_CASE("Schedules: windows switch at their edges in local time, summer time included") {
  PolicyDocument doc = Parse(R"(
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="batch"/></application>
<policy application="web" priority="1">
  <cpu pool-percent="30%"/>
  <schedule timezone="Europe/London">
    <window days="mon-fri" from="08:00" to="18:00"><cpu pool-percent="40%"/></window>
    <window days="sat,sun"><cpu pool-percent="20%"/></window>
  </schedule>
  <on-failure min-failed="2"><cpu server-percent="50%"/></on-failure>
</policy>
<policy application="batch" priority="2"><cpu cores="1.5" cap="3"/></policy>
)");
  auto eval = ScheduleEvaluator::Create(doc);
  REQUIRE(eval.ok());
  auto web = [&](int64_t t, int failed = 0) { return eval->Evaluate(t, PoolFacts{failed})[0]; };

  // Winter, GMT: Monday 13 January 2025, 07:59 and 08:00 local = UTC.
  REQUIRE(web(Utc(2025, 1, 13, 7, 59)).cpu->amount == 30);
  REQUIRE(web(Utc(2025, 1, 13, 8, 0)).cpu->amount == 40);
  REQUIRE(web(Utc(2025, 1, 13, 17, 59)).cpu->amount == 40);
  REQUIRE(web(Utc(2025, 1, 13, 18, 0)).cpu->amount == 30);
  // Summer, BST: Monday 14 July 2025, 08:00 local is 07:00 UTC.
  REQUIRE(web(Utc(2025, 7, 14, 6, 59)).cpu->amount == 30);
  REQUIRE(web(Utc(2025, 7, 14, 7, 0)).cpu->amount == 40);
  REQUIRE(web(Utc(2025, 7, 14, 7, 0)).source.find("window on line") == 0);
  // The weekend window covers the whole day, in local time: Friday 23:30
  // UTC in summer is already Saturday 00:30 in London.
  REQUIRE(web(Utc(2025, 7, 18, 22, 59)).cpu->amount == 30);
  REQUIRE(web(Utc(2025, 7, 18, 23, 30)).cpu->amount == 20);
  // The Monday after the clocks went forward (31 March 2025): 08:00 BST = 07:00 UTC.
  REQUIRE(web(Utc(2025, 3, 31, 7, 0)).cpu->amount == 40);
  // And after they went back (27 October 2025): 08:00 GMT = 08:00 UTC.
  REQUIRE(web(Utc(2025, 10, 27, 7, 30)).cpu->amount == 30);
  REQUIRE(web(Utc(2025, 10, 27, 8, 0)).cpu->amount == 40);

  // Failure adjustment: from two failed nodes, over any window.
  REQUIRE(web(Utc(2025, 1, 13, 9, 0), 1).cpu->amount == 40);
  auto failed = web(Utc(2025, 1, 13, 9, 0), 2);
  REQUIRE(failed.cpu->kind == CpuKind::kServerPercent);
  REQUIRE(failed.cpu->amount == 50);
  REQUIRE(failed.source == "on-failure");

  // To the planner: cores become millicores.
  auto planner = ToPlannerPolicies(eval->Evaluate(Utc(2025, 1, 13, 9, 0), PoolFacts{}));
  REQUIRE(planner.size() == 2);
  REQUIRE(planner[1].kind == CpuShareKind::kMillicores);
  REQUIRE(planner[1].amount == 1500);
  REQUIRE(*planner[1].cap == 3000);
  REQUIRE(planner[0].amount == 40);
}

TEST_CASE("Triggers fire on their conditions, at most once per rate limit, and set-cpu overrides stick") {
  PolicyDocument doc = Parse(R"(
<application name="web"><process name="nginx"/></application>
<application name="db"><process name="postgres"/></application>
<policy application="web"><cpu pool-percent="30%"/></policy>
<trigger name="hot" event="usage-above" application="web" threshold="90%" rate-limit="5m">
  <set-cpu application="web" pool-percent="60%"/>
  <log level="warning" message="web is hot"/>
</trigger>
<trigger name="short" event="insufficient-resources" application="db" rate-limit="1m">
  <run script="/usr/local/bin/page" timeout="5s"/>
</trigger>
<trigger name="lost" event="node-failed" rate-limit="10s"><log message="lost a node"/></trigger>
<trigger name="tick" event="timer" every="1h" rate-limit="1s"><run script="/bin/report"/></trigger>
)");
  TriggerEngine engine(doc);
  const int64_t t0 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
  TriggerInputs in;
  in.now_ms = t0 + 1000;
  REQUIRE(engine.Evaluate(in).empty());  // nothing happened; the timer's first check only arms it

  // Usage above the threshold: both actions fire once; the condition staying
  // true (the new share may not cool it at once) does not fire again for 5 minutes.
  in.usage_percent["web"] = 95;
  auto fired = engine.Evaluate(in);
  REQUIRE(fired.size() == 2);
  REQUIRE(fired[0].trigger == "hot");
  REQUIRE(fired[0].environment.at("SHOAL_USAGE_PERCENT") == "95");
  REQUIRE(fired[0].environment.at("SHOAL_APPLICATION") == "web");
  int count = 0;
  for (int64_t ms = 2000; ms < 300'000; ms += 1000) {
    in.now_ms = t0 + ms;
    for (const auto& f : engine.Evaluate(in)) count += f.trigger == "hot" ? 1 : 0;
  }
  REQUIRE(count == 0);
  in.now_ms = t0 + 1000 + 300'000;
  REQUIRE(engine.Evaluate(in).size() == 2);  // the rate limit has passed, still hot
  in.usage_percent["web"] = 50;

  // The set-cpu override is laid over the schedule's result.
  auto eval = ScheduleEvaluator::Create(doc);
  auto effective = eval->Evaluate(t0 / 1000, PoolFacts{});
  engine.Apply(effective);
  REQUIRE(effective[0].cpu->amount == 60);
  REQUIRE(effective[0].source == "trigger");

  // Events, with their facts for a script.
  in.nodes_failed = 2;
  in.insufficient = {"db"};
  fired = engine.Evaluate(in);
  REQUIRE(fired.size() == 2);
  REQUIRE(fired[0].action.kind == TriggerAction::Kind::kRun);
  REQUIRE(fired[0].environment.at("SHOAL_APPLICATION") == "db");
  REQUIRE(fired[1].environment.at("SHOAL_FAILED_NODES") == "2");

  // The timer fires once per hour boundary crossed.
  in.nodes_failed = 0;
  in.insufficient.clear();
  int ticks = 0;
  for (int64_t ms = 302'000; ms < 3 * 3'600'000; ms += 60'000) {
    in.now_ms = t0 + ms;
    for (const auto& f : engine.Evaluate(in)) ticks += f.trigger == "tick" ? 1 : 0;
  }
  REQUIRE(ticks == 2);  // at 01:00 and 02:00
}

TEST_CASE("Triggers on any event type: matched by type and subject, facts for scripts, local ones marked") {
  PolicyDocument doc = Parse(R"(
<application name="web"><process name="nginx"/></application>
<policy application="web"><cpu pool-percent="30%"/></policy>
<trigger name="squeeze" event="app.squeezed" application="web" rate-limit="1m">
  <set-cpu application="web" pool-percent="50%"/>
</trigger>
<trigger name="cgroup" event="enforcement.error" rate-limit="1m"><run script="/usr/local/bin/fix"/></trigger>
)");
  REQUIRE(doc.triggers[0].event == TriggerEvent::kEvent);
  REQUIRE(doc.triggers[0].event_type == "app.squeezed");
  TriggerEngine engine(doc);
  TriggerInputs in;
  in.now_ms = 1'735'689'600'000;
  in.events = {{"app.squeezed", "db", "db is squeezed", {}}, {"node.failed", "node-3", "", {}}};
  REQUIRE(engine.Evaluate(in).empty());  // another application, another type
  in.events = {{"app.squeezed", "web", "web is squeezed", {{"state", "begun"}}},
               {"enforcement.error", "db", "no cgroup", {{"enforcer", "cgroup"}}}};
  auto fired = engine.Evaluate(in);
  REQUIRE(fired.size() == 2);
  CHECK(fired[0].trigger == "squeeze");
  CHECK_FALSE(fired[0].local);  // pool-wide: carried out by the pool's leader
  CHECK(fired[0].environment.at("SHOAL_EVENT") == "app.squeezed");
  CHECK(fired[0].environment.at("SHOAL_SUBJECT") == "web");
  CHECK(fired[0].environment.at("SHOAL_FACT_STATE") == "begun");
  CHECK(fired[1].local);  // on the node whose enforcement failed
  CHECK(fired[1].environment.at("SHOAL_FACT_ENFORCER") == "cgroup");
  CHECK(engine.cpu_overrides().at("web").amount == 50);
  // Written back as read.
  CHECK_THAT(WritePolicy(doc), Catch::Contains("event=\"app.squeezed\""));

  ParsedPolicy bad = ParsePolicy(R"(<shoal-policy>
<application name="web"><process name="nginx"/></application>
<trigger name="a" event="app.exploded"><log message="x"/></trigger>
<trigger name="b" event="enforcement.error"><set-cpu application="web" pool-percent="50%"/></trigger>
</shoal-policy>)");
  std::string all;
  for (const auto& e : bad.errors) all += FormatPolicyError(e, "bad") + "\n";
  CHECK_THAT(all, Catch::Contains("bad:3:") && Catch::Contains("event=\"app.exploded\"") &&
                      Catch::Contains("app.squeezed") && Catch::Contains("bad:4:") &&
                      Catch::Contains("<set-cpu> needs a pool-wide event"));
}
