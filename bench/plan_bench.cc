// Times one CPU plan (policy::PlanCpu) and one pipe division
// (bwman::DivideCredit) on synthetic views, on one core. Prints one JSON
// object per size; bench/plan.sh records them.
//
// The view: N nodes of 4 to 64 cores; every node runs `per_node` distinct
// applications chosen at random out of A (so instances = N x per_node);
// 70% of the applications have a policy (40% pool percentage, 30% server
// percentage, 30% millicores; priorities 1 to 3; 30% capped), sized so
// that the requests add up to `load` times the pool; demands are random up
// to twice a fair share of the node.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bwman/pipe_credit.h"
#include "core/percentile.h"
#include "core/random.h"
#include "policy/cpu_planner.h"

namespace {

using namespace shoal;
using namespace shoal::policy;

PlanInput MakeView(size_t nodes, size_t apps, size_t per_node, double load, uint64_t seed) {
  Random rng(seed);
  PlanInput in;
  double pool = 0;
  for (size_t n = 0; n < nodes; ++n) {
    double capacity = 1000.0 * static_cast<double>(4 + rng.Below(61));
    in.nodes.push_back({NodeId{n + 1}, "node-" + std::to_string(n), capacity});
    pool += capacity;
  }
  per_node = std::min(per_node, apps);
  std::vector<size_t> order(apps);
  std::vector<double> app_capacity(apps, 0.0);
  for (size_t n = 0; n < nodes; ++n) {
    for (size_t a = 0; a < apps; ++a) order[a] = a;
    for (size_t k = 0; k < per_node; ++k) {  // a partial shuffle picks per_node apps
      std::swap(order[k], order[k + rng.Below(apps - k)]);
      size_t a = order[k];
      double fair = in.nodes[n].capacity / static_cast<double>(per_node);
      in.instances.push_back({"app-" + std::to_string(a), in.nodes[n].id, rng.Unit() * 2 * fair,
                              rng.Unit() * fair});
      app_capacity[a] += in.nodes[n].capacity;
    }
  }
  // Policies whose requests add up to about load x pool.
  std::vector<size_t> with_policy;
  for (size_t a = 0; a < apps; ++a) {
    if (rng.Chance(0.7)) with_policy.push_back(a);
  }
  double each = load * pool / static_cast<double>(std::max<size_t>(1, with_policy.size()));
  for (size_t a : with_policy) {
    CpuPolicy p;
    p.app = "app-" + std::to_string(a);
    p.priority = 1 + static_cast<int>(rng.Below(3));
    double u = rng.Unit();
    if (u < 0.4) {
      p.kind = CpuShareKind::kPoolPercent;
      p.amount = 100 * each / pool;
    } else if (u < 0.7 && app_capacity[a] > 0) {
      p.kind = CpuShareKind::kServerPercent;
      p.amount = std::min(100.0, 100 * each / app_capacity[a]);
    } else {
      p.kind = CpuShareKind::kMillicores;
      p.amount = each;
    }
    if (rng.Chance(0.3)) p.cap = p.kind == CpuShareKind::kMillicores ? p.amount * 1.5 : std::min(100.0, p.amount * 1.5);
    in.policies.push_back(p);
  }
  return in;
}

template <typename F>
std::vector<double> TimeRuns(int runs, F&& f) {
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    f();
    auto end = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times the CPU planner and the pipe credit division on synthetic views."};
  size_t nodes = 1000, apps = 50, per_node = 10;
  double load = 0.9;
  int runs = 50;
  uint64_t seed = 1;
  app.add_option("--nodes", nodes, "live nodes")->capture_default_str();
  app.add_option("--apps", apps, "applications in the pool")->capture_default_str();
  app.add_option("--per-node", per_node, "applications running on each node")->capture_default_str();
  app.add_option("--load", load, "policy requests as a fraction of the pool")->capture_default_str();
  app.add_option("--runs", runs, "timed plans (after one warm-up)")->capture_default_str();
  app.add_option("--seed", seed, "view seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  PlanInput view = MakeView(nodes, apps, per_node, load, seed);
  size_t checksum = 0;
  auto plan_once = [&] {
    CpuPlan plan = PlanCpu(view);
    checksum += static_cast<size_t>(plan.instances.empty() ? 0 : plan.instances.back().millicores);
  };
  plan_once();  // warm-up
  std::vector<double> plan_ms = TimeRuns(runs, plan_once);

  Random rng(seed);
  std::vector<bwman::Queued> queued(nodes);
  for (auto& q : queued) q = {rng.Below(20'000), rng.Below(60'000)};
  auto divide_once = [&] {
    auto d = bwman::DivideCredit(250'000 * nodes / 10, 0.5, queued);
    checksum += d.credits.front().total();
  };
  divide_once();
  std::vector<double> divide_ms = TimeRuns(runs, divide_once);

  double plan_p50 = Percentile(plan_ms, 50), plan_p99 = Percentile(plan_ms, 99);
  double divide_p50 = Percentile(divide_ms, 50);
  std::printf(
      "{\"nodes\": %zu, \"apps\": %zu, \"per_node\": %zu, \"instances\": %zu, \"policies\": %zu, "
      "\"load\": %.2f, \"runs\": %d, \"plan_p50_ms\": %.3f, \"plan_p99_ms\": %.3f, "
      "\"pipe_division_p50_ms\": %.4f, \"checksum\": %zu}\n",
      nodes, apps, std::min(per_node, apps), view.instances.size(), view.policies.size(), load, runs,
      plan_p50, plan_p99, divide_p50, checksum);
  return 0;
}
