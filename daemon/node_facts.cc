#include "daemon/node_facts.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "node_facts.pb.h"

namespace shoal::daemon {

std::string EncodeNodeFacts(const NodeFacts& f) {
  wire::NodeFacts w;
  w.set_name(f.name);
  w.set_cpus(f.cpus);
  w.set_load_milli(f.load_milli);
  w.set_mem_total_kb(f.mem_total_kb);
  w.set_mem_available_kb(f.mem_available_kb);
  w.set_capacity_m(f.capacity_m);
  w.set_policy_version(f.policy_version);
  w.set_enforcing(f.enforcing);
  w.set_enforcer(f.enforcer);
  // The most demanding instances first, so that what does not fit is what
  // matters least to the plan.
  std::vector<const InstanceStatus*> order;
  for (const auto& i : f.instances) order.push_back(&i);
  std::stable_sort(order.begin(), order.end(),
                   [](const InstanceStatus* a, const InstanceStatus* b) { return a->demand_m > b->demand_m; });
  uint32_t left_out = f.instances_left_out;
  for (const InstanceStatus* i : order) {
    wire::Instance* wi = w.add_instances();
    wi->set_app(i->app);
    wi->set_usage_m(i->usage_m);
    wi->set_demand_m(i->demand_m);
    wi->set_rss_kb(i->rss_kb);
    wi->set_processes(i->processes);
    // Room for the left-out count (at most 6 bytes) is kept.
    if (w.ByteSizeLong() + 6 > kNodeFactsMaxBytes) {
      w.mutable_instances()->RemoveLast();
      ++left_out;
    }
  }
  w.set_instances_left_out(left_out);
  return w.SerializeAsString();
}

Result<NodeFacts> DecodeNodeFacts(std::string_view bytes) {
  wire::NodeFacts w;
  if (bytes.size() > kNodeFactsMaxBytes ||
      !w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("malformed node facts ({} bytes)", bytes.size());
  }
  if (w.name().empty() || w.name().size() > 64) return MakeError("node facts without a valid name");
  NodeFacts f{w.name(), w.cpus(), w.load_milli(), w.mem_total_kb(), w.mem_available_kb(), w.capacity_m(),
              {}, w.policy_version(), w.enforcing(), w.enforcer(), w.instances_left_out()};
  for (const auto& wi : w.instances()) {
    if (wi.app().empty() || wi.app().size() > 100) {
      return MakeError("node facts of {}: an instance without a valid application name", w.name());
    }
    f.instances.push_back({wi.app(), wi.usage_m(), wi.demand_m(), wi.rss_kb(), wi.processes()});
  }
  return f;
}

Result<NodeFacts> ReadNodeFacts(const std::string& name, const std::string& proc) {
  NodeFacts f;
  f.name = name;
  f.cpus = std::max(1u, std::thread::hardware_concurrency());
  std::ifstream load(proc + "/loadavg");
  double load1 = 0;
  if (!(load >> load1)) return MakeError("cannot read {}/loadavg", proc);
  f.load_milli = static_cast<uint32_t>(load1 * 1000);
  std::ifstream mem(proc + "/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (mem >> key >> value) {
    if (key == "MemTotal:") f.mem_total_kb = value;
    if (key == "MemAvailable:") f.mem_available_kb = value;
    std::getline(mem, unit);
  }
  if (f.mem_total_kb == 0) return MakeError("cannot read MemTotal from {}/meminfo", proc);
  return f;
}

}  // namespace shoal::daemon
