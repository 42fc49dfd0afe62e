// Times one CPU plan (policy::PlanCpu) and one pipe division
// (bwman::DivideCredit) on synthetic views (bench/plan_view.h), on one
// core. Prints one JSON object per size; bench/plan.sh records them.
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
#include "bench/plan_view.h"
#include "policy/cpu_planner.h"

namespace {

using namespace shoal;
using namespace shoal::policy;

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

  PlanInput view = bench::MakeView(nodes, apps, per_node, load, seed);
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
