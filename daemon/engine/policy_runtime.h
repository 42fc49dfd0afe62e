// The policy runtime: the pool's active policy document as this node holds
// it (its distribution, policy/distribution.h), what is in force at a given
// moment (schedules, failure adjustments, the triggers' overrides) and the
// triggers' evaluation. A document that activates reaches the listener
// once its schedules and triggers are in place. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "policy/distribution.h"
#include "policy/schedule.h"
#include "policy/triggers.h"

namespace shoal::engine {

class PolicyRuntime {
 public:
  using Activated = policy::PolicyDistributor::Activated;

  // References must outlive this object.
  PolicyRuntime(policy::PolicyDistributor::Options options, gossip::Gossiper& gossiper, gossip::PeerStreams& streams,
                Random& random, const WallClock& wall);

  // Registers the distribution's channel and service.
  Status Register();
  void Tick() { distributor_.Tick(); }
  void SetListener(Activated listener) { listener_ = std::move(listener); }

  policy::PolicyDistributor& distribution() { return distributor_; }
  const policy::PolicyDistributor& distribution() const { return distributor_; }
  const policy::PolicyDocument* active() const { return distributor_.active(); }
  // "" before any document.
  std::string version_text() const;
  // The active document says enforce (monitor otherwise, and without one).
  bool enforcing() const;
  // "enforce", "monitor" or "monitor (no policy)".
  std::string mode_text() const;

  // The policies in force now (schedules, failure adjustments, triggers'
  // overrides), with `failed_nodes` nodes failed; empty without a document.
  std::vector<policy::EffectivePolicy> Effective(int failed_nodes) const;
  // Their CPU shares, as the planner takes them.
  std::vector<policy::CpuPolicy> InForce(int failed_nodes) const {
    return policy::ToPlannerPolicies(Effective(failed_nodes));
  }
  // What a draft document would put in force now (its schedules and
  // failure adjustments; no trigger has fired for it), for a dry run.
  Result<std::vector<policy::CpuPolicy>> DraftInForce(const policy::PolicyDocument& draft, int failed_nodes) const;
  // Evaluates the triggers at now (in.now_ms is set here); the fired
  // actions are for the caller to carry out.
  std::vector<policy::FiredAction> EvaluateTriggers(policy::TriggerInputs in);

 private:
  void OnActivated(const policy::PolicyVersion& v, const policy::PolicyDocument& doc, const std::string& blob);

  const WallClock& wall_;
  policy::PolicyDistributor distributor_;
  std::optional<policy::ScheduleEvaluator> schedule_;
  std::unique_ptr<policy::TriggerEngine> triggers_;
  Activated listener_;
};

}  // namespace shoal::engine
