#include "tools/sim/sim_machine.h"

#include <algorithm>

namespace shoal::sim {

std::map<std::string, SimMachine::Share> SimMachine::Shares(TimePoint t) const {
  struct Claim {
    Share* share;
    double weight, limit;
  };
  std::map<std::string, Share> out;
  std::vector<Claim> rising;
  for (const auto& [app, curve] : apps_) {
    Share& s = out[app];
    s.demand_m = std::max(0.0, curve(t));
    double limit = s.demand_m, weight = 100;
    if (auto it = settings_.find(app); it != settings_.end()) {
      weight = it->second.weight;
      if (it->second.quota_us) {
        limit = std::min(limit, 1000.0 * static_cast<double>(*it->second.quota_us) /
                                    static_cast<double>(it->second.period_us));
      }
    }
    rising.push_back({&s, std::max(1.0, weight), limit});
  }
  // Weighted water filling: raise every rising claim in proportion to its
  // weight until the CPUs are spent; a claim that reaches its limit stops.
  double left = 1000.0 * cpus_;
  while (left > 1e-9) {
    std::erase_if(rising, [](const Claim& c) { return c.share->usage_m >= c.limit - 1e-9; });
    if (rising.empty()) break;
    double weights = 0;
    for (const auto& c : rising) weights += c.weight;
    double step = left / weights;  // millicores per unit of weight
    for (const auto& c : rising) step = std::min(step, (c.limit - c.share->usage_m) / c.weight);
    for (auto& c : rising) {
      c.share->usage_m += step * c.weight;
      left -= step * c.weight;
    }
  }
  return out;
}

void SimProcessSource::SetDocument(const policy::PolicyDocument& doc) {
  wanted_.clear();
  for (const auto& app : doc.applications) wanted_.push_back(app.name);
}

Result<std::vector<engine::LocalInstance>> SimProcessSource::Sample(TimePoint now, bool) {
  std::vector<engine::LocalInstance> out;
  const auto shares = machine_.Shares(now);
  int pid = 100;
  for (const auto& app : wanted_) {
    ++pid;
    auto it = shares.find(app);
    if (it == shares.end()) continue;
    engine::LocalInstance i;
    i.app = app;
    if (sampled_) {
      i.usage_m = it->second.usage_m;
      i.demand_m = std::max(it->second.usage_m, it->second.demand_m);
    }
    i.rss_kb = 64 * 1024;
    i.processes = 1;
    i.pids = {pid};
    out.push_back(std::move(i));
  }
  sampled_ = true;
  return out;
}

Result<engine::HostFacts> SimProcessSource::Host() {
  return engine::HostFacts{machine_.cpus(), 0, 16u << 20, 8u << 20};
}

std::vector<std::string> SimCpuEnforcer::Groups() const {
  std::vector<std::string> out;
  for (const auto& [app, setting] : machine_.settings()) out.push_back(app);
  return out;
}

Status SimCpuEnforcer::Apply(const std::string& app, const engine::CpuSetting& setting) {
  machine_.settings()[app] = setting;
  return Status::Ok();
}

Status SimCpuEnforcer::Move(const std::string& app, int pid) {
  auto& pids = pids_[app];
  if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
  return Status::Ok();
}

std::vector<int> SimCpuEnforcer::Pids(const std::string& app) const {
  auto it = pids_.find(app);
  return it == pids_.end() ? std::vector<int>{} : it->second;
}

Status SimCpuEnforcer::Remove(const std::string& app) {
  machine_.settings().erase(app);
  pids_.erase(app);
  return Status::Ok();
}

Status SimCpuEnforcer::Release() {
  machine_.settings().clear();
  pids_.clear();
  return Status::Ok();
}

}  // namespace shoal::sim
