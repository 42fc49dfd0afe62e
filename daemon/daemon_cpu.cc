// The daemon's CPU loop: sample the local processes, publish this node's
// status, plan over the pool's status whenever it changes, enforce this
// node's row. See daemon.h.
#include <cmath>
#include <thread>

#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "daemon/node_facts.h"

namespace shoal::daemon {
namespace {

uint32_t RoundMillicores(double m) {
  // Coarse enough that noise does not make a new version every second.
  return static_cast<uint32_t>(std::lround(std::max(0.0, m) / 10.0) * 10);
}

}  // namespace

Status Daemon::StartCpu() {
  sampler_ = std::make_unique<Sampler>("/proc", policy::IdResolver::System());
  std::unique_ptr<CpuEnforcer> enforcer;
  if (config_.cpu.enforcer != "off") {
    EnforcerOptions o;
    o.kind = config_.cpu.enforcer;
    o.parent = config_.cpu.cgroup_parent;
    if (config_.cpu.capacity_millicores > 0) o.capacity_millicores = config_.cpu.capacity_millicores;
    auto e = MakeCpuEnforcer(o);
    if (!e.ok()) return MakeError("cpu.enforcer {}: {}", config_.cpu.enforcer, e.error().message);
    enforcer = std::move(*e);
    spdlog::info("CPU enforcer: {}{}", enforcer->kind(),
                 o.capacity_millicores ? fmt::format(", Shoal's groups capped at {} millicores", *o.capacity_millicores)
                                       : std::string());
  }
  cpu_ = std::make_unique<CpuControl>(NodeId::FromName(config_.node_name), std::move(enforcer));
  sampler_->SetGroupUsage([this](const std::string& app) -> std::optional<uint64_t> {
    if (!cpu_->enforcer() || !cpu_->groups().count(app)) return std::nullopt;
    return cpu_->enforcer()->UsageNs(app);
  });
  return gossiper_->RegisterChannel(
      gossip::ChannelSpec{kNodeChannel, "node", std::chrono::seconds(1), kNodeFactsMaxBytes, gossip::kSnapshot},
      [this] { return PublishStatus(); },
      [this](const gossip::ChannelView&) { plan_dirty_ = true; });
}

std::optional<std::string> Daemon::PublishStatus() {
  auto facts = ReadNodeFacts(config_.node_name);
  if (!facts.ok()) {
    spdlog::warn("node facts: {}", facts.error().message);
    return std::nullopt;
  }
  // Rounded so that noise does not make a new version every second.
  facts->load_milli = facts->load_milli / 50 * 50;
  facts->mem_available_kb = facts->mem_available_kb / 65536 * 65536;
  facts->capacity_m = CapacityMillicores(facts->cpus);
  for (const auto& s : local_) {
    facts->instances.push_back({s.app, RoundMillicores(s.usage), RoundMillicores(std::max(s.usage, s.demand)),
                                s.rss_kb / 1024 * 1024, static_cast<uint32_t>(s.pids.size())});
  }
  facts->policy_version = policies_->active_version().empty() ? "" : policies_->active_version().ToString();
  facts->enforcing = cpu_->enforcing();
  facts->enforcer = cpu_->enforcer() ? cpu_->enforcer()->kind() : "off";
  return EncodeNodeFacts(*facts);
}

uint32_t Daemon::CapacityMillicores(uint32_t cpus) const {
  return static_cast<uint32_t>(config_.cpu.capacity_millicores > 0 ? config_.cpu.capacity_millicores : 1000 * cpus);
}

void Daemon::OnPolicy(const policy::PolicyDocument& doc) {
  sampler_->SetDocument(doc);
  auto evaluator = policy::ScheduleEvaluator::Create(doc);
  if (evaluator.ok()) {
    schedule_ = std::move(*evaluator);
  } else {
    schedule_.reset();
    spdlog::error("schedules of the active policy cannot be evaluated, planning without them: {}",
                  evaluator.error().message);
  }
  unmet_.clear();
  unmet_seen_.clear();
  // Detection with the new rules at once (a full scan), so that the plan
  // and the groups follow the document without waiting for the timer.
  samples_ = 1;
  Sample(true);
  Replan();
}

std::vector<policy::CpuPolicy> Daemon::PoliciesInForce() {
  const policy::PolicyDocument* doc = policies_->active();
  if (!doc || !schedule_) return {};
  policy::PoolFacts facts;
  facts.failed_nodes = static_cast<int>(gossiper_->membership().failed_peers().size());
  auto effective = schedule_->Evaluate(WallClockMs() / 1000, facts);
  if (triggers_) triggers_->Apply(effective);
  return policy::ToPlannerPolicies(effective);
}

void Daemon::ScheduleSample() {
  sample_timer_.expires_after(std::chrono::milliseconds(config_.cpu.sample_every_ms));
  sample_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    Sample(samples_++ % config_.cpu.full_scan_every == 0);
    Replan();
    ReportUnmet();
    RecordHistory();
    ScheduleSample();
  });
}

void Daemon::Sample(bool full) {
  auto sample = sampler_->Sample(clock_.Now(), full);
  if (!sample.ok()) {
    spdlog::error("sampling the local processes: {}", sample.error().message);
    return;
  }
  local_ = std::move(*sample);
  sampled_ = true;
}

void Daemon::Replan() {
  if (!cpu_) return;  // still starting
  plan_dirty_ = false;
  planned_at_ = clock_.Now();
  plan_ = policy::PlanCpu(BuildPlanInput(gossiper_->View(kNodeChannel), PoliciesInForce()));
  const policy::PolicyDocument* doc = policies_->active();
  const bool enforce = doc && doc->mode == policy::Mode::kEnforce;
  // Until the first sample, the local instances are unknown: groups adopted
  // from an earlier run are kept as they are.
  if (sampled_) cpu_->Apply(plan_, local_, enforce);
}

void Daemon::ReportUnmet() {
  // An event when a booking cannot be met for two samples running (a policy
  // change or a joining node passes through such states), and when it is met
  // again.
  std::set<std::string> unmet;
  for (const auto& app : plan_.apps) {
    if (app.rogue() || app.instances.empty() || (app.scale >= 0.999 && app.unplaced <= 0.5)) continue;
    if (unmet_seen_.count(app.name) && !unmet_.count(app.name)) {
      spdlog::warn("booking of {} cannot be met: it asks {:.0f} millicores, the pool ({:.0f} millicores on {} "
                   "node(s)) entitles it to {:.0f}, of which {:.0f} could not be placed on the {} node(s) running it",
                   app.name, app.requested, plan_.pool_capacity, plan_.nodes.size(), app.entitlement, app.unplaced,
                   app.instances.size());
      unmet_.insert(app.name);
      NoteEvent("unmet", app.name,
                fmt::format("booking cannot be met: asks {:.0f} millicores, entitled to {:.0f}, {:.0f} unplaced",
                            app.requested, app.entitlement, app.unplaced));
    }
    unmet.insert(app.name);
  }
  for (auto it = unmet_.begin(); it != unmet_.end();) {
    if (unmet.count(*it)) {
      ++it;
      continue;
    }
    spdlog::info("booking of {} is met again", *it);
    NoteEvent("met", *it, "booking is met again");
    it = unmet_.erase(it);
  }
  unmet_seen_ = std::move(unmet);
}

}  // namespace shoal::daemon
