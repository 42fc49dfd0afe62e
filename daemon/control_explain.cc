// The control API's explanation of one application's allocation now
// (shoalctl explain): the planner's steps over the asked node's own view,
// the policy in force and where it comes from (the policy, a schedule
// window, a failure adjustment, a trigger), and the figures each node
// published as they stood here, with their ages. See control_api.h.
#include <fmt/format.h>

#include "daemon/control_api.h"
#include "policy/changes.h"
#include "policy/plan_explain.h"

namespace shoal::daemon {
namespace {

std::string InForceText(const policy::EffectivePolicy& e) {
  const std::string cpu = e.cpu ? policy::CpuShareText(*e.cpu) : "no CPU share";
  return fmt::format("priority {}, {} (from {})", e.priority, cpu, e.source);
}

}  // namespace

control::Response ControlApi::Explain(const control::Request& request) {
  control::Response r;
  const std::string& app = request.explain().app();
  const std::string& only = request.explain().node();
  const policy::CpuPlan& plan = c_.engine.cpu().plan();
  auto steps = policy::ExplainApp(plan, app);
  if (!steps.ok()) {
    r.set_error(fmt::format("{} (as {} sees the pool now)", steps.error().message, c_.config.node_name));
    return r;
  }
  auto* x = r.mutable_explain();
  x->set_answered_by(c_.config.node_name);
  x->set_app(app);
  x->set_steps(std::move(*steps));
  const auto& distribution = c_.engine.policies().distribution();
  if (!distribution.active_version().empty()) FillStamp(distribution.active_version(), *x->mutable_policy());
  for (const auto& e : c_.engine.policies().Effective(c_.engine.FailedNodes())) {
    if (e.application == app) x->add_in_force(InForceText(e));
  }
  const engine::PoolView& pool = c_.engine.pool();
  const TimePoint now = c_.gossiper.Now();
  const policy::AppPlan* a = plan.FindApp(app);
  bool found = only.empty();
  for (size_t index : a->instances) {
    const policy::InstancePlan& ip = plan.instances[index];
    const policy::NodePlan& node = plan.nodes[ip.node];
    if (!only.empty() && node.name != only) continue;
    found = true;
    auto* f = x->add_figures();
    f->set_node(node.name);
    const engine::PoolView::Node* seen = pool.Find(node.id);
    f->set_age_s(node.id == c_.engine.self() || seen == nullptr ? 0.0
                                                                 : std::chrono::duration<double>(now - seen->received).count());
    f->set_demand_m(ip.demand);
    f->set_usage_m(ip.usage);
    f->set_booking_m(ip.booking);
    f->set_allocation_m(ip.allocation);
    if (!only.empty() && node.id != c_.engine.self()) {
      x->add_notes(fmt::format("{} plans its own row from its own figures as they are now; {} planned from the "
                               "ones {} published {:.1f} s earlier, so the two may differ by what changed since",
                               node.name, c_.config.node_name, node.name, f->age_s()));
    }
  }
  if (c_.engine.plans_from_figures()) {
    x->add_notes(fmt::format("this pool plans from its figures: the pool's side (requests, entitlements, spread "
                             "levels) is the levels {} published, the figures above are {}'s own row only; ask a "
                             "node with --node for its row",
                             c_.engine.NameOf(c_.engine.figures()->rollup().pool_rep()), c_.config.node_name));
  }
  if (!found) {
    r.set_error(fmt::format("{} runs no instance of {} (as {} sees the pool now)", only, app, c_.config.node_name));
  }
  return r;
}

}  // namespace shoal::daemon
