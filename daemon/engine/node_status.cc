#include "daemon/engine/node_status.h"

#include <algorithm>
#include <cmath>

#include "node_status.pb.h"

namespace shoal::engine {
namespace {

uint32_t Millicores(double m) {
  return static_cast<uint32_t>(std::lround(std::clamp(m, 0.0, 4e9) / 10.0) * 10);
}

}  // namespace

NodeStatus RoundForPublishing(NodeStatus s) {
  s.host.load_milli = s.host.load_milli / 50 * 50;
  s.host.mem_available_kb = s.host.mem_available_kb / 65536 * 65536;
  for (auto& i : s.instances) {
    i.demand_m = Millicores(std::max(i.usage_m, i.demand_m));
    i.usage_m = Millicores(i.usage_m);
    i.rss_kb = i.rss_kb / 1024 * 1024;
  }
  return s;
}

NodeStatus CardOf(NodeStatus s) {
  s.card = true;
  s.instances.clear();
  s.instances_left_out = 0;
  s.host.load_milli = 0;
  s.host.mem_available_kb = 0;
  s.policy_version.clear();
  return s;
}

std::string EncodeNodeStatus(const NodeStatus& status) {
  const NodeStatus s = RoundForPublishing(status);
  wire::NodeStatus w;
  w.set_name(s.name);
  w.set_cpus(s.host.cpus);
  w.set_load_milli(s.host.load_milli);
  w.set_mem_total_kb(s.host.mem_total_kb);
  w.set_mem_available_kb(s.host.mem_available_kb);
  w.set_capacity_m(s.capacity_m);
  w.set_policy_version(s.policy_version);
  w.set_enforcing(s.enforcing);
  w.set_enforcer(s.enforcer);
  // The most demanding instances first, so that what does not fit is what
  // matters least to the plan.
  std::vector<const InstanceFigures*> order;
  for (const auto& i : s.instances) order.push_back(&i);
  std::stable_sort(order.begin(), order.end(),
                   [](const InstanceFigures* a, const InstanceFigures* b) { return a->demand_m > b->demand_m; });
  uint32_t left_out = s.instances_left_out;
  for (const InstanceFigures* i : order) {
    wire::Instance* wi = w.add_instances();
    wi->set_app(i->app);
    wi->set_usage_m(static_cast<uint32_t>(i->usage_m));
    wi->set_demand_m(static_cast<uint32_t>(i->demand_m));
    wi->set_rss_kb(i->rss_kb);
    wi->set_processes(i->processes);
    // Room for the left-out count (at most 6 bytes) is kept.
    if (w.ByteSizeLong() + 6 > kNodeStatusMaxBytes) {
      w.mutable_instances()->RemoveLast();
      ++left_out;
    }
  }
  w.set_instances_left_out(left_out);
  w.set_card(s.card);
  w.set_settling(s.settling);
  return w.SerializeAsString();
}

Result<NodeStatus> DecodeNodeStatus(std::string_view bytes) {
  wire::NodeStatus w;
  if (bytes.size() > kNodeStatusMaxBytes || !w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("malformed node status ({} bytes)", bytes.size());
  }
  if (w.name().empty() || w.name().size() > 64) return MakeError("node status without a valid name");
  NodeStatus s{w.name(),
               HostFacts{w.cpus(), w.load_milli(), w.mem_total_kb(), w.mem_available_kb()},
               w.capacity_m(),
               {},
               w.policy_version(),
               w.enforcing(),
               w.enforcer(),
               w.instances_left_out(),
               w.card(),
               w.settling()};
  for (const auto& wi : w.instances()) {
    if (wi.app().empty() || wi.app().size() > 100) {
      return MakeError("node status of {}: an instance without a valid application name", w.name());
    }
    if (s.card) return MakeError("node status of {}: a card with instances", w.name());
    s.instances.push_back({wi.app(), static_cast<double>(wi.usage_m()), static_cast<double>(wi.demand_m()),
                           wi.rss_kb(), wi.processes()});
  }
  return s;
}

}  // namespace shoal::engine
