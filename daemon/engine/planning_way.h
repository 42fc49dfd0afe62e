// Which way a node plans its CPU row. From every node's status: exact and
// at once, but every node hears every node (O(N) bytes per node each second),
// the way for small pools. From the pool's figures (figure_planner.h): a
// constant cost per node, the way for pools of hundreds and more. Or by the
// pool's size: figures from `figures_at` live nodes on, statuses again below
// three quarters of it (nodes whose views of the pool's size differ by a few
// do not flap around one number). Every node decides from its own
// membership, so nodes switch within a failure-detection time of each other.
// Plain value types; PlanningSwitch is not thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.h"

namespace shoal::engine {

enum class PlanFrom { kStatuses, kFigures, kPoolSize };

// "statuses", "figures" or "pool-size"; an error names the choices.
Result<PlanFrom> ParsePlanFrom(std::string_view text);
std::string_view ToString(PlanFrom from);

struct PlanningConfig {
  PlanFrom from = PlanFrom::kStatuses;
  size_t figures_at = 256;  // live nodes, with kPoolSize
};

class PlanningSwitch {
 public:
  explicit PlanningSwitch(const PlanningConfig& config) : config_(config), figures_(config.from == PlanFrom::kFigures) {}
  // Whether the pool is planned from its figures, with `live_nodes` live
  // (this node included) in this node's view.
  bool Follow(size_t live_nodes);
  bool figures() const { return figures_; }
  // Figures may ever be used (a figure planner is needed).
  bool may_use_figures() const { return config_.from != PlanFrom::kStatuses; }

 private:
  PlanningConfig config_;
  bool figures_;
};

}  // namespace shoal::engine
