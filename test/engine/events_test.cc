// The event vocabulary and log (daemon/engine/events.h), sustained
// application conditions (app_watch.h), and SHOAL-MIB kept alike with the
// list of types.
#include <fstream>
#include <set>

#include <catch2/catch.hpp>

#include "daemon/control/event_format.h"
#include "daemon/engine/app_watch.h"
#include "daemon/engine/events.h"

using namespace shoal;
using namespace shoal::engine;

namespace {

class FixedWall final : public WallClock {
 public:
  int64_t NowMs() const override { return ms; }
  int64_t ms = 1'000'000;
};

policy::AppPlan App(double demand, double allocated, double requested = 0, double usage = 0) {
  policy::AppPlan a;
  a.name = "web";
  a.demand = demand;
  a.allocated = allocated;
  a.requested = requested;
  a.usage = usage;
  return a;
}

std::vector<AppCondition> Follow(AppWatch& w, const policy::AppPlan& a, int periods) {
  policy::CpuPlan plan;
  plan.apps = {a};
  std::vector<AppCondition> all;
  for (int i = 0; i < periods; ++i) {
    auto got = w.Follow(plan);
    all.insert(all.end(), got.begin(), got.end());
  }
  return all;
}

// "node.name_conflict" -> "shoalNodeNameConflict".
std::string MibName(std::string_view type) {
  std::string out = "shoal";
  bool upper = true;
  for (char c : type) {
    if (c == '.' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(c)) : c;
    upper = false;
  }
  return out;
}

}  // namespace

TEST_CASE("event log: stamped with node, sequence and time, the newest kept, selected by time, type and count") {
  FixedWall wall;
  EventLog log("node-1", wall, 3);
  std::vector<std::string> seen;
  log.AddSink([&](const Event& e) { seen.push_back(e.type() + "/" + e.subject()); });
  for (int i = 0; i < 5; ++i) {
    wall.ms += 1000;
    log.Raise(i % 2 ? EventType::kNodeFailed : EventType::kBookingUnmet, "s" + std::to_string(i), "text",
              {{"k", "v"}});
  }
  CHECK(seen == std::vector<std::string>{"booking.unmet/s0", "node.failed/s1", "booking.unmet/s2", "node.failed/s3",
                                         "booking.unmet/s4"});
  CHECK(log.raised() == 5);
  CHECK(log.kept() == 3);
  CHECK(log.counts().at("booking.unmet") == 3);
  auto all = log.Select({});
  REQUIRE(all.size() == 3);
  CHECK(all.front().seq() == 3);
  CHECK(all.back().seq() == 5);
  CHECK(all.back().node() == "node-1");
  CHECK(all.back().severity() == "warning");
  CHECK(all.back().time_ms() == 1'005'000);
  CHECK(all.back().facts().at("k") == "v");
  EventQuery q;
  q.set_type_prefix("node.");
  CHECK(log.Select(q).size() == 1);
  q.Clear();
  q.set_after_ms(1'004'000);
  CHECK(log.Select(q).size() == 2);
  q.Clear();
  q.set_limit(1);
  REQUIRE(log.Select(q).size() == 1);
  CHECK(log.Select(q)[0].seq() == 5);  // the newest
}

TEST_CASE("event types: unique names, severities, and JSON with RFC 3339 time") {
  std::set<std::string_view> names;
  for (const auto& k : EventKinds()) {
    CHECK(names.insert(k.name).second);
    CHECK(&KindOf(k.type) == &k);
    CHECK(EventTypeNamed(k.name) == k.type);
  }
  CHECK_FALSE(EventTypeNamed("node.exploded").has_value());
  CHECK(KindOf(EventType::kNodeFailed).pool_wide);
  CHECK_FALSE(KindOf(EventType::kEnforcementError).pool_wide);
  CHECK(daemon::control::Rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(daemon::control::Rfc3339(1796369168115) == "2026-12-04T07:26:08.115Z");
  Event e;
  e.set_type("node.failed");
  e.set_time_ms(1796369168115);
  e.set_text("a \"quoted\"\nline");
  CHECK(daemon::control::EventJson(e) ==
        "{\"facts\":{},\"node\":\"\",\"seq\":0,\"severity\":\"\",\"subject\":\"\",\"text\":\"a \\\"quoted\\\"\\nline\","
        "\"time\":\"2026-12-04T07:26:08.115Z\",\"time_ms\":1796369168115,\"type\":\"node.failed\"}");
}

TEST_CASE("SHOAL-MIB has one notification per event type, numbered in the list's order") {
  std::ifstream in(SHOAL_SOURCE_DIR "/daemon/events/SHOAL-MIB.txt");
  const std::string mib((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(!mib.empty());
  size_t number = 0;
  for (const auto& k : EventKinds()) {
    ++number;
    const std::string name = MibName(k.name);
    INFO(name);
    const size_t at = mib.find(name + " NOTIFICATION-TYPE");
    REQUIRE(at != std::string::npos);
    const size_t end = mib.find("}\n", mib.find("::=", at));
    CHECK(mib.substr(at, end - at).ends_with("{ shoalNotifications " + std::to_string(number) + " "));
  }
  size_t notifications = 0;
  for (size_t at = 0; (at = mib.find(" NOTIFICATION-TYPE\n", at)) != std::string::npos; ++at) ++notifications;
  CHECK(notifications == EventKinds().size());
}

TEST_CASE("app watch: squeezed after a sustained shortfall, over after as long without, and idle bookings") {
  AppWatch w(AppWatchOptions{3, 5});
  CHECK(Follow(w, App(1000, 990), 10).empty());  // within 5%: not squeezed
  auto begun = Follow(w, App(2000, 1000), 3);
  REQUIRE(begun.size() == 1);
  CHECK(begun[0].kind == AppCondition::Kind::kSqueezed);
  CHECK(begun[0].begun);
  CHECK(begun[0].demand == 2000);
  CHECK(Follow(w, App(2000, 1000), 10).empty());  // once
  CHECK(Follow(w, App(500, 1000), 2).empty());    // not yet over
  auto over = Follow(w, App(500, 1000), 1);
  REQUIRE(over.size() == 1);
  CHECK_FALSE(over[0].begun);

  AppWatch idle(AppWatchOptions{3, 5});
  CHECK(Follow(idle, App(0, 0, 1000, 50), 4).empty());
  auto i = Follow(idle, App(0, 0, 1000, 50), 1);
  REQUIRE(i.size() == 1);
  CHECK(i[0].kind == AppCondition::Kind::kIdle);
  auto busy = Follow(idle, App(900, 900, 1000, 900), 1);
  REQUIRE(busy.size() == 1);
  CHECK_FALSE(busy[0].begun);
}

TEST_CASE("the policy schema takes every event type as a trigger's event") {
  std::ifstream in(SHOAL_SOURCE_DIR "/policy/shoal-policy.xsd");
  const std::string xsd((std::istreambuf_iterator<char>(in)), {});
  for (const auto& k : EventKinds()) CHECK_THAT(xsd, Catch::Contains("<xs:enumeration value=\"" + std::string(k.name) + "\"/>"));
}
