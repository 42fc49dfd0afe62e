// From the plan to this node's groups: applies this node's row of the plan
// through the CPU enforcer seam: each local
// instance's group gets its weight and quota, its processes are moved in,
// groups of instances that vanished (or were adopted from an earlier run
// and are no longer needed) are removed. When not enforcing (monitor mode)
// nothing is created and any groups are handed back. Errors are logged (and
// told to the error listener) once per application until they change. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "daemon/engine/cpu_enforcer.h"
#include "daemon/engine/instance.h"
#include "policy/cpu_planner.h"

namespace shoal::engine {

// What this node did with its row, per application, for the control API.
struct LocalGroup {
  std::string path;     // "" for nice, or when not enforcing
  CpuSetting setting;   // as applied
  std::string error;    // the last error, if any
};

class CpuControl {
 public:
  // `enforcer` may be null: then nothing is ever enforced.
  CpuControl(NodeId self, std::unique_ptr<CpuEnforcer> enforcer);
  ~CpuControl();

  // Applies this node's row of `plan` to the instances of `local`.
  void Apply(const policy::CpuPlan& plan, const std::vector<LocalInstance>& local, bool enforce);
  // Hands every process back and removes the groups (a clean stop).
  void Release();
  // Called when an application's enforcement error first appears or changes.
  using ErrorListener = std::function<void(const std::string& app, const std::string& error)>;
  void SetErrorListener(ErrorListener listener) { on_error_ = std::move(listener); }

  const CpuEnforcer* enforcer() const { return enforcer_.get(); }
  bool enforcing() const { return enforcing_; }
  const std::map<std::string, LocalGroup>& groups() const { return groups_; }

 private:
  void Note(const std::string& app, const Status& s);

  NodeId self_;
  std::unique_ptr<CpuEnforcer> enforcer_;
  bool enforcing_ = false;
  std::map<std::string, LocalGroup> groups_;
  ErrorListener on_error_;
};

}  // namespace shoal::engine
