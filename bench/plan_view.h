// A synthetic pool view for the planner benchmarks.
//
// The view: N nodes of 4 to 64 cores; every node runs `per_node` distinct
// applications chosen at random out of A (so instances = N x per_node);
// 70% of the applications have a policy (40% pool percentage, 30% server
// percentage, 30% millicores; priorities 1 to 3; 30% capped), sized so
// that the requests add up to `load` times the pool; demands are random up
// to twice a fair share of the node.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/random.h"
#include "policy/cpu_planner.h"

namespace shoal::bench {

inline policy::PlanInput MakeView(size_t nodes, size_t apps, size_t per_node, double load, uint64_t seed) {
  Random rng(seed);
  policy::PlanInput in;
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
    policy::CpuPolicy p;
    p.app = "app-" + std::to_string(a);
    p.priority = 1 + static_cast<int>(rng.Below(3));
    double u = rng.Unit();
    if (u < 0.4) {
      p.kind = policy::CpuShareKind::kPoolPercent;
      p.amount = 100 * each / pool;
    } else if (u < 0.7 && app_capacity[a] > 0) {
      p.kind = policy::CpuShareKind::kServerPercent;
      p.amount = std::min(100.0, 100 * each / app_capacity[a]);
    } else {
      p.kind = policy::CpuShareKind::kMillicores;
      p.amount = each;
    }
    if (rng.Chance(0.3)) p.cap = p.kind == policy::CpuShareKind::kMillicores ? p.amount * 1.5 : std::min(100.0, p.amount * 1.5);
    in.policies.push_back(p);
  }
  return in;
}

}  // namespace shoal::bench
