// The control API's answers while the pool plans from its figures
// (daemon/engine/planning_way.h): this node's view holds every node's card
// (name, server size, capacity, policy, enforcement) and its own row only,
// so each answer starts from the one control_api.cc gives and completes it
// with what the nodes are asked (their figures and rows) or what the node
// representing the pool holds (the pool's totals per application).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "daemon/control_api.h"

namespace shoal::daemon {
namespace {

constexpr auto kPeerTimeout = std::chrono::seconds(3);

// Answers by node name (names are unique in a pool: name_guard.h).
std::map<std::string, const engine::NodeDetail*> ByName(const engine::DetailService::Answers& a) {
  std::map<std::string, const engine::NodeDetail*> out;
  for (const auto& [id, d] : a.details) out[d.status.name] = &d;
  return out;
}

}  // namespace

void ControlApi::WithPoolFigures(control::Response base, ControlServer::Reply reply,
                                 std::function<void(const policy::PoolFigures&, control::Response&)> fill) {
  const engine::FigurePlanner* figures = c_.engine.figures();
  const NodeId rep = figures->rollup().pool_rep();
  const std::string rep_name = c_.engine.NameOf(rep);
  c_.detail->AskPoolFigures(rep, kPeerTimeout, [base = std::move(base), reply, fill = std::move(fill),
                                                rep_name](Result<policy::PoolFigures> f) mutable {
    if (!f.ok()) {
      control::Response r;
      r.set_error(fmt::format("the pool's figures could not be had from {}, the node representing the pool: {}",
                              rep_name, f.error().message));
      return reply(std::move(r));
    }
    fill(*f, base);
    reply(std::move(base));
  });
}

void ControlApi::StatusFromFigures(const control::Request& request, ControlServer::Reply reply) {
  WithPoolFigures(Status(request), std::move(reply), [](const policy::PoolFigures& f, control::Response& r) {
    auto* s = r.mutable_status();
    double booked = 0, usage = 0, demand = 0;
    uint32_t instances = 0;
    for (const auto& [name, app] : f.apps) {
      booked += app.booked;
      usage += app.usage;
      demand += app.demand;
      instances += app.instances;
    }
    s->set_booked_m(booked);
    s->set_usage_m(usage);
    s->set_demand_m(demand);
    s->set_applications(static_cast<uint32_t>(f.apps.size()));
    s->set_instances(instances);
  });
}

void ControlApi::AppsFromFigures(const control::Request& request, ControlServer::Reply reply) {
  WithPoolFigures(Apps(request), std::move(reply), [](const policy::PoolFigures& f, control::Response& r) {
    auto* list = r.mutable_apps();
    list->set_pool_capacity_m(f.capacity);
    std::set<std::string> listed;
    for (auto& a : *list->mutable_apps()) {
      listed.insert(a.name());
      auto it = f.apps.find(a.name());
      FillAppTotals(it == f.apps.end() ? policy::AppFigures{} : it->second, a);
    }
    // Applications running only elsewhere have no row here: without a
    // policy (those with one are in every node's levels).
    for (const auto& [name, app] : f.apps) {
      if (listed.contains(name)) continue;
      control::AppInfo* a = list->add_apps();
      a->set_name(name);
      a->set_rogue(true);
      FillAppTotals(app, *a);
    }
  });
}

void ControlApi::NodesFromFigures(const control::Request& request, ControlServer::Reply reply) {
  // Names now: the answers may come after this object is gone.
  std::map<NodeId, std::string> names;
  for (const auto m : c_.gossiper.membership().live_peers()) names[m.id] = c_.engine.NameOf(m.id);
  c_.detail->AskNodes(kPeerTimeout, [base = Nodes(request), names = std::move(names),
                                     reply](engine::DetailService::Answers a) mutable {
    const auto details = ByName(a);
    for (auto& n : *base.mutable_nodes()->mutable_nodes()) {
      if (auto it = details.find(n.name()); it != details.end()) FillNodeFigures(it->second->status, n);
    }
    for (const auto& [id, why] : a.failures) {
      auto name = names.find(id);
      base.mutable_nodes()->add_unanswered(
          fmt::format("{}: {}", name == names.end() ? id.ToString() : name->second, why));
    }
    reply(std::move(base));
  });
}

void ControlApi::AppFromFigures(const control::Request& request, ControlServer::Reply reply) {
  const std::string name = request.app().name();
  // The application's line as this node plans it (its policy, its
  // entitlement from the levels), when it has one.
  control::AppInfo info;
  if (const policy::AppPlan* a = c_.engine.cpu().plan().FindApp(name)) {
    FillApp(*a, info);
  } else {
    info.set_name(name);
    info.set_rogue(true);
  }
  c_.detail->AskNodes(kPeerTimeout, [info, name, reply](engine::DetailService::Answers a) mutable {
    control::Response r;
    auto* d = r.mutable_app();
    policy::AppFigures totals;
    for (const auto& [id, node] : a.details) {
      for (const engine::RowEntry& row : node.row) {
        if (row.app != name) continue;
        auto* i = d->add_instances();
        i->set_node(node.status.name);
        i->set_booking_m(row.booking_m);
        i->set_allocation_m(row.allocation_m);
        i->set_millicores(static_cast<int32_t>(row.millicores));
        i->set_weight(row.weight);
        i->set_quota_us(static_cast<int32_t>(row.quota_us));
        i->set_period_us(static_cast<int32_t>(row.period_us));
        i->set_cgroup(row.cgroup);
        i->set_enforcing(node.status.enforcing);
        for (const auto& inst : node.status.instances) {
          if (inst.app != name) continue;
          i->set_demand_m(inst.demand_m);
          i->set_usage_m(inst.usage_m);
          i->set_rss_kb(static_cast<double>(inst.rss_kb));
          i->set_processes(inst.processes);
        }
        ++totals.instances;
        totals.demand += i->demand_m();
        totals.usage += i->usage_m();
        totals.booked += row.booking_m;
        totals.allocated += row.allocation_m;
      }
    }
    if (d->instances_size() == 0 && info.rogue()) {
      control::Response none;
      none.set_error(fmt::format("no application '{}' runs in the pool ({} node(s) asked, {} did not answer)", name,
                                 a.asked, a.failures.size()));
      return reply(std::move(none));
    }
    std::sort(d->mutable_instances()->begin(), d->mutable_instances()->end(),
              [](const control::InstanceInfo& x, const control::InstanceInfo& y) { return x.node() < y.node(); });
    FillAppTotals(totals, info);
    *d->mutable_app() = std::move(info);
    reply(std::move(r));
  });
}

void ControlApi::PolicyPushFromFigures(const control::Request& request, ControlServer::Reply reply) {
  if (!request.policy_push().dry_run()) return reply(PolicyPush(request));
  control::Response r;
  auto draft = DraftChanges(request, r);
  if (!draft) return reply(std::move(r));
  auto now = c_.engine.policies().InForce(c_.engine.FailedNodes());
  const policy::PlannerOptions options = c_.engine.cpu().plan().options;
  WithPoolFigures(std::move(r), std::move(reply),
                  [draft = std::move(*draft), now = std::move(now), options](const policy::PoolFigures& f,
                                                                             control::Response& out) {
                    const policy::PoolLevels before = policy::PlanLevels(f, now, options);
                    const policy::PoolLevels after = policy::PlanLevels(f, draft, options);
                    auto* changes = out.mutable_policy()->mutable_changes();
                    // What each application's booking places pool-wide: its entitlement less what found no node.
                    auto placed = [](const policy::AppPlan& a) { return std::max(0.0, a.entitlement - a.unplaced); };
                    for (const policy::AppPlan& a : after.pool.apps) {
                      auto* x = changes->add_apps();
                      x->set_name(a.name);
                      x->set_booked_draft_m(placed(a));
                      x->set_demand_m(a.demand);
                      x->set_unmet_draft(!a.rogue() && a.demand > 0 && (a.scale < 0.999 || a.unplaced > 0.5));
                      if (const policy::AppPlan* b = before.pool.FindApp(a.name)) x->set_booked_now_m(placed(*b));
                    }
                    changes->add_notes("this pool plans from its figures: bookings are compared from the pool's "
                                       "figures; allocations follow from each node's own row and are not planned here");
                  });
}

}  // namespace shoal::daemon
