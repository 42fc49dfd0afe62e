#include "daemon/engine/policy_runtime.h"

#include <spdlog/spdlog.h>

namespace shoal::engine {

PolicyRuntime::PolicyRuntime(policy::PolicyDistributor::Options options, gossip::Gossiper& gossiper,
                             gossip::PeerStreams& streams, Random& random, const WallClock& wall)
    : wall_(wall),
      distributor_(std::move(options), gossiper, streams, random,
                   [&wall] { return static_cast<uint64_t>(wall.NowMs()); }) {
  distributor_.SetListener([this](const policy::PolicyVersion& v, const policy::PolicyDocument& doc,
                                  const std::string& blob) { OnActivated(v, doc, blob); });
}

Status PolicyRuntime::Register() { return distributor_.Register(); }

void PolicyRuntime::OnActivated(const policy::PolicyVersion& v, const policy::PolicyDocument& doc,
                                const std::string& blob) {
  triggers_ = std::make_unique<policy::TriggerEngine>(doc);
  auto evaluator = policy::ScheduleEvaluator::Create(doc);
  if (evaluator.ok()) {
    schedule_ = std::move(*evaluator);
  } else {
    schedule_.reset();
    spdlog::error("schedules of the active policy cannot be evaluated, planning without them: {}",
                  evaluator.error().message);
  }
  if (listener_) listener_(v, doc, blob);
}

std::string PolicyRuntime::version_text() const {
  return distributor_.active_version().empty() ? "" : distributor_.active_version().ToString();
}

bool PolicyRuntime::enforcing() const {
  const policy::PolicyDocument* doc = active();
  return doc && doc->mode == policy::Mode::kEnforce;
}

std::string PolicyRuntime::mode_text() const {
  if (!active()) return "monitor (no policy)";
  return enforcing() ? "enforce" : "monitor";
}

std::vector<policy::EffectivePolicy> PolicyRuntime::Effective(int failed_nodes) const {
  if (!active() || !schedule_) return {};
  auto effective = schedule_->Evaluate(wall_.NowMs() / 1000, policy::PoolFacts{failed_nodes});
  if (triggers_) triggers_->Apply(effective);
  return effective;
}

Result<std::vector<policy::CpuPolicy>> PolicyRuntime::DraftInForce(const policy::PolicyDocument& draft,
                                                                   int failed_nodes) const {
  auto evaluator = policy::ScheduleEvaluator::Create(draft);
  if (!evaluator.ok()) return evaluator.error();
  return policy::ToPlannerPolicies(evaluator->Evaluate(wall_.NowMs() / 1000, policy::PoolFacts{failed_nodes}));
}

std::vector<policy::FiredAction> PolicyRuntime::EvaluateTriggers(policy::TriggerInputs in) {
  if (!triggers_) return {};
  in.now_ms = wall_.NowMs();
  return triggers_->Evaluate(in);
}

}  // namespace shoal::engine
