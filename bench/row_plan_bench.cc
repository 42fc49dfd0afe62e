// How close each node's row planned from the pool's figures
// (policy/row_planner.h) comes to its row of the whole plan
// (policy/cpu_planner.h), round after round, on the synthetic views of
// bench/plan_view.h; and what the figures cost: their bins, the time to
// merge every node's part, to derive the levels and to plan one row. The
// pool's figures are exact merges here (no transport, no lag): what is
// measured is the planning from sketches and its settling over rounds.
// Prints one JSON object per round; bench/row_plan.sh records them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/plan_view.h"
#include "core/percentile.h"
#include "policy/row_planner.h"

namespace {

using namespace shoal;
using namespace shoal::policy;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Each node's instances in the view (MakeView lists them node by node).
std::vector<std::span<const PlanInstance>> OwnInstances(const PlanInput& view) {
  std::vector<std::span<const PlanInstance>> own(view.nodes.size());
  size_t i = 0;
  for (size_t n = 0; n < view.nodes.size(); ++n) {
    const size_t first = i;
    while (i < view.instances.size() && view.instances[i].node == view.nodes[n].id) ++i;
    own[n] = std::span<const PlanInstance>(view.instances.data() + first, i - first);
  }
  return own;
}

struct Gap {
  std::vector<double> allocation, booking;  // per node, % of its capacity
};

// Per node: the sum over its instances of |row - whole plan|, allocations
// (after rounding) and bookings, as a percentage of the node's capacity.
void Compare(const CpuPlan& whole, size_t n, const CpuPlan& row, Gap& gap) {
  const NodePlan& node = whole.nodes[n];
  double allocation = 0, booking = 0;
  for (size_t j = 0; j < node.count; ++j) {
    const InstancePlan& w = whole.instances[node.first + j];
    const InstancePlan& r = row.instances[j];
    if (whole.apps[w.app].name != row.apps[r.app].name) {
      std::fprintf(stderr, "row-plan-bench: node %zu's rows name different applications\n", n);
      std::exit(1);
    }
    allocation += std::abs(static_cast<double>(w.millicores - r.millicores));
    booking += std::abs(w.booking - r.booking);
  }
  const double capacity = std::max(1.0, node.capacity);
  gap.allocation.push_back(100 * allocation / capacity);
  gap.booking.push_back(100 * booking / capacity);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Plans every node's row from the pool's merged figures, round after round, and compares\n"
      "each with the node's row of the whole plan (differences in % of the node's capacity)."};
  size_t nodes = 1000, apps = 50, per_node = 10;
  double load = 0.9;
  int rounds = 6;
  uint64_t seed = 1;
  app.add_option("--nodes", nodes, "live nodes")->capture_default_str();
  app.add_option("--apps", apps, "applications in the pool")->capture_default_str();
  app.add_option("--per-node", per_node, "applications running on each node")->capture_default_str();
  app.add_option("--load", load, "policy requests as a fraction of the pool")->capture_default_str();
  app.add_option("--rounds", rounds, "rounds of figures, levels and rows")->capture_default_str();
  app.add_option("--seed", seed, "view seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const PlanInput view = bench::MakeView(nodes, apps, per_node, load, seed);
  const CpuPlan whole = PlanCpu(view);
  const auto own = OwnInstances(view);
  PoolFigures figures;  // round 1 plans from none: every node books by its own demand alone
  for (int round = 1; round <= rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    const PoolLevels levels = PlanLevels(figures, view.policies, view.options);
    const double levels_ms = MsSince(start);
    PoolFigures next;
    Gap gap;
    std::vector<double> row_ms, merge_ms;
    for (size_t n = 0; n < view.nodes.size(); ++n) {
      start = std::chrono::steady_clock::now();
      RowPlan row = PlanRow(levels, view.nodes[n], own[n]);
      row_ms.push_back(MsSince(start));
      start = std::chrono::steady_clock::now();
      next.Merge(row.figures);
      merge_ms.push_back(MsSince(start));
      Compare(whole, n, row.plan, gap);
    }
    size_t app_count = next.apps.size();
    fmt::print(
        "{{\"nodes\": {}, \"apps\": {}, \"per_node\": {}, \"load\": {:.2f}, \"seed\": {}, \"round\": {}, "
        "\"allocation_gap_p50_pct\": {:.3f}, \"allocation_gap_p99_pct\": {:.3f}, \"allocation_gap_max_pct\": {:.3f}, "
        "\"booking_gap_p99_pct\": {:.3f}, \"booking_gap_max_pct\": {:.3f}, \"figure_apps\": {}, \"figure_bins\": {}, "
        "\"levels_ms\": {:.3f}, \"row_p50_ms\": {:.4f}, \"merge_part_p50_ms\": {:.4f}}}\n",
        view.nodes.size(), apps, per_node, load, seed, round, Percentile(gap.allocation, 50),
        Percentile(gap.allocation, 99), Percentile(gap.allocation, 100), Percentile(gap.booking, 99),
        Percentile(gap.booking, 100), app_count, next.bins(), levels_ms, Percentile(row_ms, 50),
        Percentile(merge_ms, 50));
    figures = std::move(next);
  }
  return 0;
}
