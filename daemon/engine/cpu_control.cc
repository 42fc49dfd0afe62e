#include "daemon/engine/cpu_control.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "core/logging.h"

namespace shoal::engine {

CpuControl::CpuControl(NodeId self, std::unique_ptr<CpuEnforcer> enforcer)
    : self_(self), enforcer_(std::move(enforcer)) {
  if (!enforcer_) return;
  for (const auto& app : enforcer_->Groups()) {
    spdlog::info("adopting CPU group {} from an earlier run", enforcer_->Path(app));
    groups_[app].path = enforcer_->Path(app);
    enforcing_ = true;  // so that monitor mode hands them back
  }
}

CpuControl::~CpuControl() = default;

void CpuControl::Note(const std::string& app, const Status& s) {
  auto& g = groups_[app];
  const std::string message = s.ok() ? "" : s.error().message;
  if (message != g.error && !message.empty()) {
    const LogField field("SHOAL_APPLICATION", app);
    spdlog::warn("CPU enforcement of {}: {}", app, message);
    if (on_error_) on_error_(app, message);
  }
  g.error = message;
}

void CpuControl::Apply(const policy::CpuPlan& plan, const std::vector<LocalInstance>& local, bool enforce) {
  if (!enforcer_) return;
  if (!enforce) {
    if (enforcing_) {
      spdlog::info("monitor mode: handing every process back and removing the CPU groups");
      Release();
    }
    return;
  }
  if (!enforcing_) spdlog::info("enforcing CPU shares with {}", enforcer_->kind());
  enforcing_ = true;
  const policy::NodePlan* node = plan.FindNode(self_);
  std::set<std::string> wanted;
  for (const auto& inst : local) {
    wanted.insert(inst.app);
    const policy::AppPlan* app = plan.FindApp(inst.app);
    if (!node || !app) continue;  // our status is not in the view yet
    const policy::InstancePlan* row = nullptr;
    for (size_t i : app->instances) {
      if (plan.instances[i].node == static_cast<size_t>(node - plan.nodes.data())) row = &plan.instances[i];
    }
    if (!row) continue;
    CpuSetting setting{row->weight, row->quota_us, plan.options.quota_period_us};
    Status s = enforcer_->Apply(inst.app, setting);
    if (s.ok()) {
      const auto inside = enforcer_->Pids(inst.app);
      const std::set<int> in_group(inside.begin(), inside.end());
      for (int pid : inst.pids) {
        if (in_group.count(pid)) continue;
        if (auto m = enforcer_->Move(inst.app, pid); !m.ok() && s.ok()) s = m;
      }
    }
    auto& g = groups_[inst.app];
    g.path = enforcer_->Path(inst.app);
    g.setting = setting;
    Note(inst.app, s);
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    if (auto s = enforcer_->Remove(it->first); !s.ok()) {
      spdlog::warn("CPU group of {} not removed: {}", it->first, s.error().message);
    } else {
      spdlog::info("CPU group of {} removed (no local instance)", it->first);
    }
    it = groups_.erase(it);
  }
}

void CpuControl::Release() {
  if (!enforcer_) return;
  if (auto s = enforcer_->Release(); !s.ok()) spdlog::warn("handing processes back: {}", s.error().message);
  groups_.clear();
  enforcing_ = false;
}

}  // namespace shoal::engine
