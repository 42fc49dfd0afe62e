// The CPU loop of one node: samples the local instances through the
// process source, plans the pool's CPU from the pool view under the
// policies in force (every node computes the same plan from the same
// view) or adopts this node's row planned from the pool's figures, applies
// this node's row through the enforcer seam, and follows which bookings
// cannot be met. Not thread-safe.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/engine/cpu_control.h"
#include "daemon/engine/process_source.h"
#include "policy/cpu_planner.h"

namespace shoal::engine {

// Bookings that became unmet or were met again since the last report.
struct UnmetChanges {
  std::vector<const policy::AppPlan*> unmet;  // into the loop's plan
  std::vector<std::string> met;
};

class CpuLoop {
 public:
  // `enforcer` may be null: nothing is ever enforced.
  CpuLoop(NodeId self, ProcessSource& source, std::unique_ptr<CpuEnforcer> enforcer);

  // A new document: detection follows it and at once takes a full sample.
  void SetDocument(const policy::PolicyDocument& doc, TimePoint now);
  // One sample of the local instances (`full`: a full rescan). Errors are
  // logged and the last sample kept.
  void Sample(TimePoint now, bool full);
  // Plans from `input` (the pool view's or the snapshot's) and applies this
  // node's row (groups are created only when `enforce`; until the first
  // sample, adopted groups are kept).
  void Plan(const policy::PlanInput& input, bool enforce);
  // Applies a plan made elsewhere: this node's row planned from the pool's
  // figures (policy/row_planner.h), whose only node is this one.
  void Adopt(policy::CpuPlan plan, bool enforce);
  // An application is unmet after two plans running in which its booking
  // could not be met (a policy change or a joining node passes through
  // such states), and met again at the first plan where it is.
  UnmetChanges FollowUnmet();
  // Hands every process back (a clean stop).
  void Release() { control_.Release(); }
  void SetErrorListener(CpuControl::ErrorListener listener) { control_.SetErrorListener(std::move(listener)); }

  const std::vector<LocalInstance>& local() const { return local_; }
  const policy::CpuPlan& plan() const { return plan_; }
  const std::set<std::string>& unmet() const { return unmet_; }
  const CpuControl& control() const { return control_; }

 private:
  ProcessSource& source_;
  CpuControl control_;
  std::vector<LocalInstance> local_;  // the last sample
  bool sampled_ = false;  // local_ holds a sample of the active document's applications
  policy::CpuPlan plan_;
  std::set<std::string> unmet_;       // applications whose booking cannot be met
  std::set<std::string> unmet_seen_;  // ... in the last followed plan
};

}  // namespace shoal::engine
