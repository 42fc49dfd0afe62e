// One node's row of a CPU plan, and how far two rows are apart: what the
// simulator's measures of planning compare (full_pool.h, figures_run.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "policy/cpu_planner.h"

namespace shoal::sim {

using Row = std::map<std::string, int64_t>;  // millicores by application

// A plan's row of node `id` (empty when the plan does not hold it).
inline Row RowOf(const policy::CpuPlan& plan, NodeId id) {
  Row row;
  const policy::NodePlan* node = plan.FindNode(id);
  for (size_t j = 0; node != nullptr && j < node->count; ++j) {
    const policy::InstancePlan& ip = plan.instances[node->first + j];
    row[plan.apps[ip.app].name] = ip.millicores;
  }
  return row;
}

// The sum over applications of |a - b|, in % of `capacity`.
inline double RowGap(const Row& a, const Row& b, double capacity) {
  double gap = 0;
  for (const auto& [app, m] : a) {
    auto it = b.find(app);
    gap += static_cast<double>(std::abs(m - (it == b.end() ? 0 : it->second)));
  }
  for (const auto& [app, m] : b) {
    if (!a.contains(app)) gap += static_cast<double>(std::abs(m));
  }
  return 100 * gap / std::max(1.0, capacity);
}

}  // namespace shoal::sim
