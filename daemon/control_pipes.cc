// The control API's answer about the pool's pipes (shoalctl pipes): the
// engine's pool-wide report (daemon/engine/pipe_report.h) as a PipeList.
// See daemon/control_api.h.
#include "daemon/control_api.h"
#include "daemon/engine/pipe_report.h"

namespace shoal::daemon {
namespace {

void SetRates(const engine::PipeFiguresRow& f, control::PipeRates& out) {
  out.set_used(static_cast<double>(f.used));
  out.set_demand(static_cast<double>(f.demand));
  out.set_allocated(static_cast<double>(f.allocated));
}

}  // namespace

control::Response ControlApi::Pipes(const control::Request&) {
  control::Response r;
  auto* list = r.mutable_pipes();
  list->set_answered_by(c_.config.node_name);
  const engine::PolicyRuntime& policies = c_.engine.policies();
  const policy::PolicyDocument* doc = policies.active();
  if (doc == nullptr) return r;
  list->set_policy_version(policies.version_text());
  for (const engine::PipeLaneReport& lane : c_.engine.PipeReport()) {
    auto* p = list->add_pipes();
    p->set_pipe(lane.lane.pipe);
    p->set_direction(lane.lane.direction == policy::Direction::kIn ? "in" : "out");
    p->set_capacity(static_cast<double>(lane.capacity));
    SetRates(lane.figures, *p->mutable_rates());
    p->set_reserved(static_cast<double>(lane.reserved));
    for (const engine::PipeAppReport& a : lane.apps) {
      auto* app = p->add_apps();
      app->set_name(a.app);
      app->set_booked(static_cast<double>(a.booked));
      app->set_cap(static_cast<double>(a.cap));
      SetRates(a.figures, *app->mutable_rates());
      app->set_nodes(a.nodes);
    }
    for (const engine::PipeNodeReport& n : lane.nodes) {
      auto* node = p->add_nodes();
      node->set_name(c_.engine.NameOf(n.node));
      SetRates(n.figures, *node->mutable_rates());
      node->set_fallback(static_cast<double>(n.fallback));
      node->set_failed(n.failed);
    }
  }
  return r;
}

}  // namespace shoal::daemon
