// shoalctl report's figures from history answers written here: the pool's
// and each node's utilization, each application's averages, headroom,
// burst headroom, and squeezed and idle buckets by the samples' rule or by
// the operator's thresholds; the same figures in the text and the JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tools/ctl/history_cmd.h"
#include "tools/ctl/report.h"

using namespace shoal;
using namespace shoal::ctl;
namespace control = shoal::daemon::control;

namespace {

constexpr int64_t kT0 = 1'764'547'200'000;  // 2025-12-01 00:00 UTC
constexpr int64_t kStep = 60'000;

struct Figures {
  double usage = 0, demand = 0, booking = 0, allocation = 0, capacity = 0;
  double squeezed = 0, idle = 0;
};

void Add(control::HistoryAnswer& a, const std::string& series, const std::string& node, int bucket, Figures f) {
  auto* p = a.add_points();
  p->set_series(series);
  p->set_node(node);
  p->set_time_ms(kT0 + bucket * kStep);
  p->set_usage_m(f.usage);
  p->set_demand_m(f.demand);
  p->set_booking_m(f.booking);
  p->set_allocation_m(f.allocation);
  p->set_capacity_m(f.capacity);
  p->set_squeezed(f.squeezed);
  p->set_idle(f.idle);
  p->set_samples(60);
}

struct Answers {
  control::HistoryAnswer pool, nodes, apps, pipes;
};

// Two nodes of 4 cores over four minutes. web: steady 1 core booked 2,
// squeezed by the samples' rule in minute 2 (wanting 3 with 1.5 allocated);
// batch: idle in minutes 0 and 1, then busy.
Answers Written() {
  Answers a;
  for (auto* x : {&a.pool, &a.nodes, &a.apps, &a.pipes}) {
    x->set_from_ms(kT0);
    x->set_to_ms(kT0 + 4 * kStep);
    x->set_step_ms(kStep);
    x->set_level("minute");
  }
  const double used[4] = {1000, 2000, 6000, 8000};  // the pool's, of 8000
  for (int b = 0; b < 4; ++b) {
    Add(a.pool, "", "", b, {used[b], used[b], 0, 0, 8000});
    Add(a.nodes, "", "node-1", b, {used[b] * 0.25, 0, 0, 0, 4000});
    Add(a.nodes, "", "node-2", b, {used[b] * 0.75, 0, 0, 0, 4000});
  }
  Add(a.apps, "web", "", 0, {1000, 1000, 2000, 2000, 0, 0, 0});
  Add(a.apps, "web", "", 1, {1000, 1000, 2000, 2000, 0, 0, 0});
  Add(a.apps, "web", "", 2, {1500, 3000, 2000, 1500, 0, 1, 0});
  Add(a.apps, "web", "", 3, {1000, 1000, 2000, 2000, 0, 0, 0});
  Add(a.apps, "batch", "", 0, {0, 0, 1000, 1000, 0, 0, 1});
  Add(a.apps, "batch", "", 1, {150, 150, 1000, 1000, 0, 0, 0.5});
  Add(a.apps, "batch", "", 2, {4500, 4500, 1000, 4500, 0, 0, 0});
  Add(a.apps, "batch", "", 3, {7000, 7000, 1000, 6000, 0, 0, 0});
  return a;
}

const AppUse& AppNamed(const UtilizationReport& r, const std::string& name) {
  for (const auto& a : r.apps) {
    if (a.name == name) return a;
  }
  FAIL("no " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("report: the pool, the nodes and each application, by the samples' rule") {
  const Answers w = Written();
  const UtilizationReport r = BuildReport(w.pool, w.nodes, w.apps, {});
  REQUIRE(r.pool.capacity == 8000);
  REQUIRE(r.pool.used == 4250);
  REQUIRE(r.pool.peak == 8000);
  REQUIRE(r.pool.peak_at == kT0 + 3 * kStep);
  REQUIRE(r.pool.utilization == Tenths{0, 1, 1, 0, 0, 0, 0, 1, 0, 1});
  REQUIRE(r.nodes.size() == 2);
  REQUIRE(r.nodes[1].name == "node-2");
  REQUIRE(r.nodes[1].used == Approx(4250 * 0.75));
  REQUIRE(r.nodes[0].utilization == Tenths{1, 1, 0, 1, 0, 1, 0, 0, 0, 0});  // 6%, 12%, 38%, 50%

  const AppUse& web = AppNamed(r, "web");
  REQUIRE(web.used == 1125);
  REQUIRE(web.demand == 1500);
  REQUIRE(web.booked == 2000);
  REQUIRE(web.allocated == 1875);
  REQUIRE(web.peak == 1500);
  REQUIRE(web.headroom == 375);
  // Idle pool capacity in its buckets: 7000, 6000, 2000, 0.
  REQUIRE(web.burst == 3750);
  REQUIRE(web.burst_at_peak == 2000);
  REQUIRE(web.squeezed == 0.25);
  REQUIRE(web.squeezed_spans.size() == 1);
  REQUIRE(web.squeezed_spans[0].from_ms == kT0 + 2 * kStep);
  REQUIRE(web.squeezed_spans[0].to_ms == kT0 + 3 * kStep);
  const AppUse& batch = AppNamed(r, "batch");
  REQUIRE(batch.idle == 0.375);  // 60 + 30 of 240 samples
  REQUIRE(batch.idle_spans.size() == 1);
  REQUIRE(batch.idle_spans[0].to_ms == kT0 + 2 * kStep);  // minute 1: half its samples, a run of minutes 0-1
  REQUIRE(batch.burst_at_peak == 0);
}

TEST_CASE("report: the operator's thresholds decide squeezed and idle buckets") {
  const Answers w = Written();
  ReportThresholds t;
  t.squeezed_above = 0.10;
  t.idle_below = 0.20;
  const UtilizationReport r = BuildReport(w.pool, w.nodes, w.apps, t);
  // batch wanted 7000 with 6000 allocated in minute 3: more than 10% over.
  REQUIRE(AppNamed(r, "batch").squeezed == 0.25);
  REQUIRE(AppNamed(r, "batch").squeezed_spans[0].from_ms == kT0 + 3 * kStep);
  // batch used under 20% of its 1000 booking in minutes 0 and 1; web never.
  REQUIRE(AppNamed(r, "batch").idle == 0.5);
  REQUIRE(AppNamed(r, "web").idle == 0);
  // One threshold: the other share stays the samples'. With batch's minute 1
  // holding 20 samples (half idle): 60 + 10 of 200 samples, not 1.5 of 4 buckets.
  ReportThresholds one;
  one.squeezed_above = 0.10;
  control::HistoryAnswer uneven = w.apps;
  for (auto& p : *uneven.mutable_points()) {
    if (p.series() == "batch" && p.time_ms() == kT0 + kStep) p.set_samples(20);
  }
  REQUIRE(AppNamed(BuildReport(w.pool, w.nodes, uneven, one), "batch").idle == Approx(0.35));
  t.squeezed_above = 0.20;  // 7000 is under 20% over 6000; web's 3000 over 1500 is not
  REQUIRE(AppNamed(BuildReport(w.pool, w.nodes, w.apps, t), "batch").squeezed == 0);
  REQUIRE(AppNamed(BuildReport(w.pool, w.nodes, w.apps, t), "web").squeezed == 0.25);
}

TEST_CASE("report: the same figures as text and as JSON") {
  const Answers w = Written();
  ReportThresholds t;
  t.idle_below = 0.20;
  const UtilizationReport r = BuildReport(w.pool, w.nodes, w.apps, t);
  const std::string text = ReportText(r);
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("2025-12-01 00:00:00 to 2025-12-01 00:04:00 UTC, every 1m (from minute rows)\n"));
  CHECK_THAT(text, Catch::Contains("idle: buckets that used under 20% of the booking"));
  CHECK_THAT(text, Catch::Contains("  used       4.25 cores on average (53% of capacity)\n"));
  CHECK_THAT(text, Catch::Contains("  peak       8.00 cores (100% of capacity) at 2025-12-01 00:03:00\n"));
  CHECK_THAT(text, Catch::Contains("  node-2      4.00  3.19  6.00    25%     25%      0%      0%   50%\n"));
  CHECK_THAT(text, Catch::Contains("  burst      3.75 cores idle in the pool to borrow on average, 2.00 at its peak\n"));
  CHECK_THAT(text, Catch::Contains("  squeezed   25%\n    2025-12-01 00:02:00 - 2025-12-01 00:03:00\n"));
  auto j = nlohmann::json::parse(ReportJson(r, "{}"));
  REQUIRE(j["idle_below"] == 0.2);
  REQUIRE(j["pool"]["used_m"] == 4250);
  REQUIRE(j["pool"]["peak"] == "2025-12-01T00:03:00.000Z");
  REQUIRE(j["nodes"][0]["name"] == "node-1");
  REQUIRE(j["applications"][0]["name"] == "batch");
  REQUIRE(j["applications"][0]["idle"] == 0.5);
  REQUIRE(j["applications"][1]["burst_m"] == 3750);
  REQUIRE(j["applications"][1]["squeezed_spans"][0]["from_ms"] == kT0 + 2 * kStep);
  REQUIRE(PercentArg("--idle-below", "20%").value() == Approx(0.2));
  REQUIRE(PercentArg("--idle-below", "0.2").value() == Approx(0.2));
  REQUIRE(PercentArg("--idle-below", "lots").error().message ==
          "--idle-below 'lots': give a percentage from 0% to 1000%, e.g. 20%");
}
