#include "daemon/engine/planning_way.h"

namespace shoal::engine {

Result<PlanFrom> ParsePlanFrom(std::string_view text) {
  if (text == "statuses") return PlanFrom::kStatuses;
  if (text == "figures") return PlanFrom::kFigures;
  if (text == "pool-size") return PlanFrom::kPoolSize;
  return MakeError("'{}' is not a way to plan: statuses, figures or pool-size", text);
}

std::string_view ToString(PlanFrom from) {
  switch (from) {
    case PlanFrom::kStatuses: return "statuses";
    case PlanFrom::kFigures: return "figures";
    case PlanFrom::kPoolSize: return "pool-size";
  }
  return "?";
}

bool PlanningSwitch::Follow(size_t live_nodes) {
  if (config_.from != PlanFrom::kPoolSize) return figures_;
  if (!figures_ && live_nodes >= config_.figures_at) figures_ = true;
  if (figures_ && live_nodes * 4 < config_.figures_at * 3) figures_ = false;
  return figures_;
}

}  // namespace shoal::engine
