// A simulated server for the whole-node simulator: applications whose CPU
// demand follows a curve over virtual time, and a scheduler that divides
// the server's CPUs among them as CFS does with cgroups: by weight
// (weighted max-min), each held to its demand and its quota. The node
// engine sees it through SimProcessSource (its process source) and
// SimCpuEnforcer (its CPU enforcer), so the allocations it plans change
// what the applications get. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/engine/cpu_enforcer.h"
#include "daemon/engine/process_source.h"

namespace shoal::sim {

// Millicores an application wants at a moment of virtual time.
using DemandCurve = std::function<double(TimePoint)>;

class SimMachine {
 public:
  explicit SimMachine(uint32_t cpus) : cpus_(cpus) {}

  // Starts (or replaces) an application with this demand.
  void Run(const std::string& app, DemandCurve demand) { apps_[app] = std::move(demand); }
  void Stop(const std::string& app) { apps_.erase(app); }

  struct Share {
    double demand_m = 0;
    double usage_m = 0;  // what the scheduler gives it
  };
  // Every running application's demand and share at `t`, under the
  // enforcer's settings (no setting: weight 100, no quota).
  std::map<std::string, Share> Shares(TimePoint t) const;

  uint32_t cpus() const { return cpus_; }
  std::map<std::string, engine::CpuSetting>& settings() { return settings_; }
  const std::map<std::string, engine::CpuSetting>& settings() const { return settings_; }
  const std::map<std::string, DemandCurve>& apps() const { return apps_; }

 private:
  uint32_t cpus_;
  std::map<std::string, DemandCurve> apps_;
  std::map<std::string, engine::CpuSetting> settings_;  // the enforcer's groups
};

// The engine's process source over a SimMachine: each application of the
// document that runs on the machine is one instance with one process.
class SimProcessSource final : public engine::ProcessSource {
 public:
  explicit SimProcessSource(const SimMachine& machine) : machine_(machine) {}
  void SetDocument(const policy::PolicyDocument& doc) override;
  Result<std::vector<engine::LocalInstance>> Sample(TimePoint now, bool full) override;
  Result<engine::HostFacts> Host() override;

 private:
  const SimMachine& machine_;
  std::vector<std::string> wanted_;  // the document's applications
  // Usage is a rate between two samples (as daemon/sampler.h reads
  // /proc): a source's first sample has the instances but no figures.
  bool sampled_ = false;
};

// The engine's CPU enforcer over a SimMachine: groups are settings.
class SimCpuEnforcer final : public engine::CpuEnforcer {
 public:
  explicit SimCpuEnforcer(SimMachine& machine) : machine_(machine) {}
  const char* kind() const override { return "sim"; }
  std::vector<std::string> Groups() const override;
  Status Apply(const std::string& app, const engine::CpuSetting& setting) override;
  Status Move(const std::string& app, int pid) override;
  std::vector<int> Pids(const std::string& app) const override;
  std::optional<uint64_t> UsageNs(const std::string&) const override { return std::nullopt; }
  Status Remove(const std::string& app) override;
  Status Release() override;
  std::string Path(const std::string& app) const override { return "sim/app-" + app; }

 private:
  SimMachine& machine_;
  std::map<std::string, std::vector<int>> pids_;
};

}  // namespace shoal::sim
