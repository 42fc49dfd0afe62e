// Water sketches, the pool's figures, and planning a node's row from them
// (policy/water_sketch.h, pool_figures.h, row_planner.h), against the
// whole plan (policy/cpu_planner.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <span>

#include "bench/plan_view.h"
#include "core/random.h"
#include "policy/row_planner.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

double ExactFill(const std::vector<double>& xs, double level) {
  double f = 0;
  for (double x : xs) f += std::min(x, level);
  return f;
}

// Every node's row from the figures of the previous round's rows, `rounds`
// times, starting from no figures.
std::vector<CpuPlan> Rows(const PlanInput& in, int rounds) {
  PoolFigures figures;
  std::vector<CpuPlan> rows;
  for (int r = 0; r < rounds; ++r) {
    const PoolLevels levels = PlanLevels(figures, in.policies, in.options);
    PoolFigures next;
    rows.clear();
    for (const PlanNode& node : in.nodes) {
      std::vector<PlanInstance> own;
      for (const PlanInstance& i : in.instances) {
        if (i.node == node.id) own.push_back(i);
      }
      RowPlan row = PlanRow(levels, node, own);
      next.Merge(row.figures);
      rows.push_back(std::move(row.plan));
    }
    figures = std::move(next);
  }
  return rows;
}

// The largest per-node sum of |row - whole plan| over its instances, in
// millicores over the node's capacity.
double WorstGap(const CpuPlan& whole, const std::vector<CpuPlan>& rows) {
  double worst = 0;
  for (size_t n = 0; n < whole.nodes.size(); ++n) {
    const NodePlan& node = whole.nodes[n];
    const CpuPlan& row = rows[n];
    REQUIRE(row.instances.size() == node.count);
    double gap = 0;
    for (size_t j = 0; j < node.count; ++j) {
      const InstancePlan& w = whole.instances[node.first + j];
      const InstancePlan& r = row.instances[j];
      REQUIRE(whole.apps[w.app].name == row.apps[r.app].name);
      gap += std::abs(static_cast<double>(w.millicores - r.millicores));
    }
    worst = std::max(worst, gap / node.capacity);
  }
  return worst;
}

}  // namespace

TEST_CASE("a water sketch fills exactly at levels outside its bins and inverts its fill", "[policy][rows]") {
  Random rng(3);
  std::vector<double> xs;
  WaterSketch s;
  for (int i = 0; i < 500; ++i) {
    xs.push_back(rng.Unit() < 0.1 ? 0 : 100 + rng.Unit() * 3000);
    s.Add(xs.back());
  }
  CHECK(s.count() == 500);
  double total = 0;
  for (double x : xs) total += x;
  CHECK(s.sum() == Approx(total));
  // Levels at bin edges (powers of two) lie outside every bin.
  for (double level : {64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0}) {
    CHECK(s.Fill(level) == Approx(ExactFill(xs, level)));
  }
  // Anywhere else within a bin's width of the truth.
  for (double level : {150.0, 777.0, 1500.0, 2999.0}) {
    CHECK(std::abs(s.Fill(level) - ExactFill(xs, level)) <= 500 * level / 8);
  }
  for (double amount : {1.0, 1000.0, 100'000.0, 0.9 * total}) {
    const double level = s.LevelFor(amount);
    CHECK(s.Fill(level) == Approx(amount).epsilon(1e-9));
  }
  CHECK(s.LevelFor(0) == 0);
  CHECK(std::isinf(s.LevelFor(total * 1.01)));
}

TEST_CASE("water sketches merge alike in any grouping, and amounts that are no amount count as zero",
          "[policy][rows]") {
  Random rng(5);
  WaterSketch all, left, right, again;
  for (int i = 0; i < 300; ++i) {
    const double x = rng.Unit() * 1e5;
    all.Add(x);
    (i % 3 == 0 ? left : right).Add(x);
  }
  again = right;
  again.Merge(left);
  left.Merge(right);
  CHECK(left.count() == all.count());
  CHECK(left.raw_bins().size() == all.raw_bins().size());
  for (size_t b = 0; b < all.raw_bins().size(); ++b) {
    CHECK(left.raw_bins()[b].index == all.raw_bins()[b].index);
    CHECK(left.raw_bins()[b].count == again.raw_bins()[b].count);
    CHECK(left.raw_bins()[b].sum == Approx(all.raw_bins()[b].sum));
  }
  WaterSketch odd;
  odd.Add(-5);
  odd.Add(std::numeric_limits<double>::quiet_NaN());
  odd.Add(std::numeric_limits<double>::infinity());
  CHECK(odd.count() == 3);
  CHECK(odd.sum() == 0);
  CHECK(odd.raw_bins().size() == 1);
}

TEST_CASE("a water sketch rebuilt from bins refuses what no sketch could hold", "[policy][rows]") {
  WaterSketch s;
  const uint16_t b100 = WaterSketch::BinOf(100), b1000 = WaterSketch::BinOf(1000);
  CHECK(WaterSketch::FromBins({{b100, 2, 200}, {b1000, 1, 1000}}, s));
  CHECK(s.count() == 3);
  CHECK(s.sum() == 1200);
  CHECK_FALSE(WaterSketch::FromBins({{b1000, 1, 1000}, {b100, 2, 200}}, s));  // out of order
  CHECK_FALSE(WaterSketch::FromBins({{b100, 0, 0}}, s));                       // empty bin
  CHECK_FALSE(WaterSketch::FromBins({{b100, 1, 1000}}, s));                    // mean outside the bin
  CHECK_FALSE(WaterSketch::FromBins({{b100, 1, std::numeric_limits<double>::quiet_NaN()}}, s));
  CHECK_FALSE(WaterSketch::FromBins({{WaterSketch::kBinCount, 1, 1}}, s));
  CHECK(s.count() == 3);  // a refused rebuild leaves the sketch as it was
}

TEST_CASE("rows planned from the pool's figures settle on the whole plan's", "[policy][rows]") {
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    const PlanInput in = bench::MakeView(60, 12, 4, 0.9, seed);
    const CpuPlan whole = PlanCpu(in);
    // Far off from no figures; within half a percent of each node's
    // capacity once more important bookings have settled.
    CHECK(WorstGap(whole, Rows(in, 1)) > 0.05);
    CHECK(WorstGap(whole, Rows(in, 8)) < 0.005);
  }
}

TEST_CASE("where room does not bind, one round of figures gives the whole plan's rows", "[policy][rows]") {
  PlanInput in;
  for (uint64_t n = 1; n <= 4; ++n) in.nodes.push_back({NodeId{n}, "n" + std::to_string(n), 8000});
  for (uint64_t n = 1; n <= 4; ++n) {
    in.instances.push_back({"web", NodeId{n}, 500.0 * n, 100});
    in.instances.push_back({"batch", NodeId{n}, 6000, 100});
    if (n % 2 == 0) in.instances.push_back({"stray", NodeId{n}, 300, 300});
  }
  CpuPolicy web{"web", CpuShareKind::kPoolPercent, 10, std::nullopt, 1};
  CpuPolicy batch{"batch", CpuShareKind::kMillicores, 4000, 6000.0, 2};
  in.policies = {web, batch};
  const CpuPlan whole = PlanCpu(in);
  const std::vector<CpuPlan> rows = Rows(in, 2);
  CHECK(WorstGap(whole, rows) == 0);
  const CpuPlan& row = rows[1];  // node 2
  const AppPlan* stray = row.FindApp("stray");
  REQUIRE(stray != nullptr);
  CHECK(stray->rogue());
  CHECK(row.FindApp("web")->entitlement == Approx(whole.FindApp("web")->entitlement));
  CHECK(row.instances.front().cap == Approx(whole.instances[whole.nodes[1].first].cap));
}

TEST_CASE("an application the pool's figures do not know yet is booked nothing and counted for the next round, rogue or not",
          "[policy][rows]") {
  const PoolLevels none = PlanLevels({}, std::vector<CpuPolicy>{{"web", CpuShareKind::kMillicores, 1000, {}, 1}}, {});
  REQUIRE(none.pool.FindApp("web") != nullptr);
  CHECK(none.pool.FindApp("web")->entitlement == 0);
  const std::vector<PlanInstance> own = {{"web", NodeId{1}, 700, 0}, {"new", NodeId{1}, 200, 0}};
  const RowPlan row = PlanRow(none, {NodeId{1}, "n1", 4000}, own);
  REQUIRE(row.plan.instances.size() == 2);
  CHECK(row.plan.FindApp("new")->rogue());
  CHECK(row.plan.instances[1].booking == 0);  // web, after new by name
  CHECK(row.plan.instances[1].millicores == 700);  // its demand fits
  const AppFigures& web = row.figures.apps.at("web");
  CHECK(web.instances == 1);
  CHECK(web.bookable.sum() == 700);
  CHECK(web.room.sum() == 4000);
  // A rogue application's sketches go up too, for when a policy names it.
  const AppFigures& fresh = row.figures.apps.at("new");
  CHECK(fresh.bookable.sum() == 200);
  CHECK(fresh.room.sum() == 4000);
  CHECK(row.figures.nodes == 1);
  CHECK(row.figures.capacity == 4000);
}
