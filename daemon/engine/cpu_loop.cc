#include "daemon/engine/cpu_loop.h"

#include <spdlog/spdlog.h>

namespace shoal::engine {

CpuLoop::CpuLoop(NodeId self, ProcessSource& source, std::unique_ptr<CpuEnforcer> enforcer)
    : source_(source), control_(self, std::move(enforcer)) {}

void CpuLoop::SetDocument(const policy::PolicyDocument& doc, TimePoint now) {
  source_.SetDocument(doc);
  unmet_.clear();
  unmet_seen_.clear();
  Sample(now, true);
}

void CpuLoop::Sample(TimePoint now, bool full) {
  auto sample = source_.Sample(now, full);
  if (!sample.ok()) {
    spdlog::error("sampling the local processes: {}", sample.error().message);
    return;
  }
  local_ = std::move(*sample);
  sampled_ = true;
}

void CpuLoop::Plan(const policy::PlanInput& input, bool enforce) { Adopt(policy::PlanCpu(input), enforce); }

void CpuLoop::Adopt(policy::CpuPlan plan, bool enforce) {
  plan_ = std::move(plan);
  if (sampled_) control_.Apply(plan_, local_, enforce);
}

UnmetChanges CpuLoop::FollowUnmet() {
  UnmetChanges out;
  std::set<std::string> unmet;
  for (const auto& app : plan_.apps) {
    if (!app.unmet()) continue;
    if (unmet_seen_.count(app.name) && unmet_.insert(app.name).second) out.unmet.push_back(&app);
    unmet.insert(app.name);
  }
  for (auto it = unmet_.begin(); it != unmet_.end();) {
    if (unmet.count(*it)) {
      ++it;
      continue;
    }
    out.met.push_back(*it);
    it = unmet_.erase(it);
  }
  unmet_seen_ = std::move(unmet);
  return out;
}

}  // namespace shoal::engine
