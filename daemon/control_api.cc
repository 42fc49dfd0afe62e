#include "daemon/control_api.h"

#include <tuple>

#include <spdlog/spdlog.h>

#include "daemon/refusals.h"

namespace shoal::daemon {
namespace {

std::string ShareText(const policy::CpuPolicy& p) {
  auto amount = [&](double v) {
    switch (p.kind) {
      case policy::CpuShareKind::kPoolPercent: return fmt::format("{:g}% of the pool", v);
      case policy::CpuShareKind::kServerPercent: return fmt::format("{:g}% of each server", v);
      case policy::CpuShareKind::kMillicores: return fmt::format("{:g} millicores", v);
    }
    return std::string();
  };
  return p.cap ? fmt::format("{}, cap {}", amount(p.amount), amount(*p.cap)) : amount(p.amount);
}

}  // namespace

void FillApp(const policy::AppPlan& a, control::AppInfo& out) {
  out.set_name(a.name);
  out.set_rogue(a.rogue());
  if (a.policy) {
    out.set_priority(static_cast<uint32_t>(a.policy->priority));
    out.set_share(ShareText(*a.policy));
  }
  out.set_requested_m(a.requested);
  out.set_entitlement_m(a.entitlement);
  out.set_booked_m(a.booked);
  out.set_unplaced_m(a.unplaced);
  out.set_demand_m(a.demand);
  out.set_usage_m(a.usage);
  out.set_allocated_m(a.allocated);
  out.set_instances(static_cast<uint32_t>(a.instances.size()));
}

void FillNodeFigures(const engine::NodeStatus& f, control::NodeInfo& n) {
  n.set_capacity_m(f.capacity_m);
  n.set_cpus(f.host.cpus);
  n.set_load_milli(f.host.load_milli);
  n.set_mem_total_kb(static_cast<double>(f.host.mem_total_kb));
  n.set_mem_available_kb(static_cast<double>(f.host.mem_available_kb));
  n.set_enforcing(f.enforcing);
  n.set_enforcer(f.enforcer);
  n.set_instances(static_cast<uint32_t>(f.instances.size() + f.instances_left_out));
  double usage = 0, demand = 0;
  for (const auto& i : f.instances) usage += i.usage_m, demand += i.demand_m;
  n.set_usage_m(usage);
  n.set_demand_m(demand);
}

void FillAppTotals(const policy::AppFigures& f, control::AppInfo& out) {
  out.set_demand_m(f.demand);
  out.set_usage_m(f.usage);
  out.set_booked_m(f.booked);
  out.set_allocated_m(f.allocated);
  out.set_instances(f.instances);
}

ControlApi::ControlApi(ControlContext context) : c_(context) {
  using R = control::Request;
  answers_ = {{R::kStatus, &ControlApi::Status},         {R::kNodes, &ControlApi::Nodes},
              {R::kApps, &ControlApi::Apps},             {R::kApp, &ControlApi::App},
              {R::kPolicyPush, &ControlApi::PolicyPush}, {R::kPolicyShow, &ControlApi::PolicyShow},
              {R::kPolicyVersions, &ControlApi::PolicyVersions}, {R::kMode, &ControlApi::Mode},
              {R::kPipes, &ControlApi::Pipes}, {R::kPolicyHistory, &ControlApi::PolicyHistory},
              {R::kExplain, &ControlApi::Explain}};
  later_ = {{R::kHistory, &ControlApi::HistoryQuery},
            {R::kHistoryDelete, &ControlApi::HistoryBroadcast},
            {R::kHistoryArchive, &ControlApi::HistoryBroadcast},
            {R::kHistoryMount, &ControlApi::HistoryMount},
            {R::kEvents, &ControlApi::Events},
            {R::kKeyring, &ControlApi::Keyring}};
  from_figures_ = {{R::kStatus, &ControlApi::StatusFromFigures},
                   {R::kNodes, &ControlApi::NodesFromFigures},
                   {R::kApps, &ControlApi::AppsFromFigures},
                   {R::kApp, &ControlApi::AppFromFigures},
                   {R::kPolicyPush, &ControlApi::PolicyPushFromFigures}};
}

void ControlApi::Handle(const control::Request& request, Role, ControlServer::Reply reply) {
  // The server has checked the role against the command (read or admin).
  if (c_.detail != nullptr && c_.engine.plans_from_figures()) {
    if (auto it = from_figures_.find(request.command_case()); it != from_figures_.end()) {
      return (this->*(it->second))(request, std::move(reply));
    }
  }
  if (auto it = answers_.find(request.command_case()); it != answers_.end()) {
    return reply((this->*(it->second))(request));
  }
  if (auto it = later_.find(request.command_case()); it != later_.end()) {
    return (this->*(it->second))(request, std::move(reply));
  }
  control::Response r;
  r.set_error("no command");
  reply(std::move(r));
}

void ControlApi::Events(const control::Request& request, ControlServer::Reply reply) {
  constexpr auto kPeerTimeout = std::chrono::seconds(3);
  c_.engine.event_service().AskPool(request.events(), kPeerTimeout, [reply](control::EventList list) {
    control::Response r;
    *r.mutable_events() = std::move(list);
    reply(std::move(r));
  });
}

void ControlApi::Keyring(const control::Request& request, ControlServer::Reply reply) {
  if (!c_.keyring) {
    control::Response r;
    r.set_error(fmt::format("{} does not change keys through its control API", c_.config.node_name));
    return reply(std::move(r));
  }
  constexpr auto kPeerTimeout = std::chrono::seconds(3);
  control::KeyringChange change = request.keyring();
  change.set_signed_action(request.signed_action());
  c_.keyring->Run(change, kPeerTimeout, [reply](Result<control::KeyringAnswer> answer) {
    control::Response r;
    if (answer.ok()) {
      *r.mutable_keyring() = std::move(*answer);
    } else {
      r.set_error(answer.error().message);
    }
    reply(std::move(r));
  });
}

control::Response ControlApi::Status(const control::Request&) {
  control::Response r;
  const engine::PoolView& pool = c_.engine.pool();
  const policy::CpuPlan& plan = c_.engine.cpu().plan();
  auto name_of = [&](NodeId id) { return c_.engine.NameOf(id); };
  const std::string mode = c_.engine.policies().mode_text();
    auto* s = r.mutable_status();
    s->set_answered_by(c_.config.node_name);
    const auto& m = c_.gossiper.membership();
    uint32_t live = 1, suspect = 0, failed = 0;
    m.ForEach([&](NodeId, const gossip::Member& member) {
      if (member.state == gossip::MemberState::kAlive) ++live;
      if (member.state == gossip::MemberState::kSuspect) ++live, ++suspect;
      if (member.state == gossip::MemberState::kFailed) ++failed;
    });
    s->set_nodes_live(live);
    s->set_nodes_suspect(suspect);
    s->set_nodes_failed(failed);
    double booked = 0, usage = 0, demand = 0;
    for (const auto& a : plan.apps) {
      booked += a.booked;
      usage += a.usage;
      demand += a.demand;
    }
    s->set_booked_m(booked);
    s->set_usage_m(usage);
    s->set_demand_m(demand);
    s->set_mode(mode);
    const std::string version = c_.engine.policies().version_text();
    s->set_policy_version(version);
    if (!version.empty()) FillStamp(c_.engine.policies().distribution().active_version(), *s->mutable_policy());
    uint32_t on_policy = 0;
    for (const auto& [id, v] : c_.engine.policies().distribution().Versions()) on_policy += v.ToString() == version;
    s->set_capacity_m(pool.CapacityM());
    s->set_nodes_on_policy(on_policy);
    s->set_applications(static_cast<uint32_t>(plan.apps.size()));
    s->set_instances(static_cast<uint32_t>(plan.instances.size()));
    const gossip::Snapshot* snap = c_.engine.snapshots().current();
    if (snap != nullptr && !c_.engine.plans_from_figures()) s->set_snapshot_leader(name_of(snap->leader));
    s->set_planning(c_.engine.plans_from_figures() ? "figures" : "statuses");
    if (c_.engine.plans_from_figures()) s->set_figures_from(name_of(c_.engine.figures()->rollup().pool_rep()));
    for (const auto& u : c_.engine.cpu().unmet()) s->add_unmet(u);
    for (const auto& x : CollectRefusals(c_.gossiper.counters(), c_.streams.counters(), c_.server ? &c_.server->counters() : nullptr)) {
      auto* out = s->add_refusals();
      out->set_listener(x.listener);
      out->set_reason(x.reason);
      out->set_count(x.count);
    }
  return r;
}

control::Response ControlApi::Nodes(const control::Request&) {
  control::Response r;
  const engine::PoolView& pool = c_.engine.pool();
  auto name_of = [&](NodeId id) { return c_.engine.NameOf(id); };
  const std::map<NodeId, policy::PolicyVersion> versions = c_.engine.policies().distribution().Versions();
    auto add = [&](NodeId id, const Endpoint& address, std::string_view state, gossip::ProtocolRange protocols,
                   std::string_view build) {
      auto* n = r.mutable_nodes()->add_nodes();
      n->set_id(id.ToString());
      n->set_name(name_of(id));
      n->set_address(address.ToString());
      n->set_state(std::string(state));
      n->set_protocols(fmt::format("{}-{}", protocols.min, protocols.max));
      n->set_build(std::string(build));
      if (const engine::PoolView::Node* node = pool.Find(id)) {
        const engine::NodeStatus& f = node->status;
        FillNodeFigures(f, *n);
      }
      // Announced on the policy channel (a card carries no version).
      if (auto v = versions.find(id); v != versions.end() && !v->second.empty()) {
        n->set_policy_version(v->second.ToString());
        FillStamp(v->second, *n->mutable_policy());
      }
    };
    add(NodeId::FromName(c_.config.node_name), c_.config.advertise, "self", c_.gossiper.config().protocol,
        c_.gossiper.identity().build);
    std::vector<std::tuple<std::string, NodeId, const gossip::Member*>> members;
    c_.gossiper.membership().ForEach(
        [&](NodeId id, const gossip::Member& member) { members.push_back({name_of(id), id, &member}); });
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    for (const auto& [name, id, member] : members) {
      add(id, member->endpoint, gossip::ToString(member->state), member->protocol,
          c_.gossiper.membership().BuildOf(*member));
    }
  return r;
}

control::Response ControlApi::Apps(const control::Request&) {
  control::Response r;
  const policy::CpuPlan& plan = c_.engine.cpu().plan();
    r.mutable_apps()->set_pool_capacity_m(plan.pool_capacity);
    for (const auto& a : plan.apps) FillApp(a, *r.mutable_apps()->add_apps());
  return r;
}

control::Response ControlApi::App(const control::Request& request) {
  control::Response r;
  const engine::PoolView& pool = c_.engine.pool();
  const policy::CpuPlan& plan = c_.engine.cpu().plan();
    const policy::AppPlan* a = plan.FindApp(request.app().name());
    if (!a) {
      std::string known;
      for (const auto& x : plan.apps) known += (known.empty() ? "" : ", ") + x.name;
      r.set_error(fmt::format("no application '{}' in the pool's plan (known: {})", request.app().name(),
                              known.empty() ? "none" : known));
      return r;
    }
    auto* d = r.mutable_app();
    FillApp(*a, *d->mutable_app());
    for (size_t index : a->instances) {
      const policy::InstancePlan& ip = plan.instances[index];
      const policy::NodePlan& node = plan.nodes[ip.node];
      auto* i = d->add_instances();
      i->set_node(node.name);
      i->set_demand_m(ip.demand);
      i->set_usage_m(ip.usage);
      i->set_booking_m(ip.booking);
      i->set_allocation_m(ip.allocation);
      i->set_millicores(static_cast<int32_t>(ip.millicores));
      i->set_weight(ip.weight);
      i->set_quota_us(static_cast<int32_t>(ip.quota_us.value_or(0)));
      i->set_period_us(static_cast<int32_t>(plan.options.quota_period_us));
      if (const engine::PoolView::Node* status = pool.Find(node.id)) {
        i->set_enforcing(status->status.enforcing);
        for (const auto& inst : status->status.instances) {
          if (inst.app == a->name) i->set_rss_kb(static_cast<double>(inst.rss_kb)), i->set_processes(inst.processes);
        }
      }
      if (node.id == c_.engine.self()) {
        const auto& groups = c_.engine.cpu().control().groups();
        if (auto g = groups.find(a->name); g != groups.end()) i->set_cgroup(g->second.path);
      }
    }
  return r;
}

}  // namespace shoal::daemon
