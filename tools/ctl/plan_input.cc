#include "tools/ctl/plan_input.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace shoal::ctl {
namespace {

using policy::CpuShareKind;

[[noreturn]] void Fail(std::string message) { throw InputError{std::move(message)}; }

constexpr double kMaxMillicores = 1e9;

std::map<std::string, NodeId> ReadNodes(const JsonObject& top, policy::PlanInput& cpu) {
  const Json& nodes = top.Array("nodes");
  if (nodes.empty()) Fail("nodes: empty; a pool has at least one node");
  std::map<std::string, NodeId> by_name;
  std::map<NodeId, std::string> by_id;
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::string path = ElementPath("nodes", i);
    JsonObject n(nodes[i], path, {"name", "capacity"});
    policy::PlanNode node;
    node.name = n.Name("name");
    node.id = NodeId::FromName(node.name);
    node.capacity = n.Number("capacity", std::nullopt, 0, kMaxMillicores);
    if (by_name.count(node.name) != 0) Fail(fmt::format("{}.name: \"{}\" appears twice", path, node.name));
    if (by_id.count(node.id) != 0) {
      Fail(fmt::format("{}.name: \"{}\" has the same node id as \"{}\"; rename one", path, node.name,
                       by_id[node.id]));
    }
    by_name[node.name] = node.id;
    by_id[node.id] = node.name;
    cpu.nodes.push_back(std::move(node));
  }
  return by_name;
}

NodeId NodeRef(const JsonObject& o, const std::map<std::string, NodeId>& nodes) {
  std::string name = o.Name("node");
  auto it = nodes.find(name);
  if (it == nodes.end()) Fail(fmt::format("{}: \"{}\" is not in nodes", o.Path("node"), name));
  return it->second;
}

void ReadInstances(const JsonObject& top, const std::map<std::string, NodeId>& nodes,
                   policy::PlanInput& cpu) {
  const Json& instances = top.Array("instances", true);
  std::set<std::pair<std::string, NodeId>> seen;
  for (size_t i = 0; i < instances.size(); ++i) {
    std::string path = ElementPath("instances", i);
    JsonObject o(instances[i], path, {"app", "node", "demand", "usage"});
    policy::PlanInstance inst;
    inst.app = o.Name("app");
    inst.node = NodeRef(o, nodes);
    inst.demand = o.Number("demand", std::nullopt, 0, kMaxMillicores);
    inst.usage = o.Number("usage", 0.0, 0, kMaxMillicores);
    if (!seen.insert({inst.app, inst.node}).second) {
      Fail(fmt::format("{}: a second instance of \"{}\" on \"{}\"; an application has one "
                       "instance per node", path, inst.app, o.Name("node")));
    }
    cpu.instances.push_back(std::move(inst));
  }
}

void ReadPolicies(const JsonObject& top, policy::PlanInput& cpu) {
  const Json& policies = top.Array("policies", true);
  std::set<std::string> seen;
  for (size_t i = 0; i < policies.size(); ++i) {
    std::string path = ElementPath("policies", i);
    JsonObject o(policies[i], path,
                 {"app", "pool_percent", "server_percent", "millicores", "cap", "priority"});
    policy::CpuPolicy p;
    p.app = o.Name("app");
    if (!seen.insert(p.app).second) Fail(fmt::format("{}.app: \"{}\" has a policy already", path, p.app));
    int kinds = 0;
    for (CpuShareKind kind : {CpuShareKind::kPoolPercent, CpuShareKind::kServerPercent,
                              CpuShareKind::kMillicores}) {
      const char* key = policy::CpuShareKindName(kind);
      if (!o.Has(key)) continue;
      ++kinds;
      p.kind = kind;
      p.amount = o.Number(key, std::nullopt, 0, kind == CpuShareKind::kMillicores ? kMaxMillicores : 100);
    }
    if (kinds != 1) {
      Fail(fmt::format("{}: give exactly one of pool_percent, server_percent, millicores", path));
    }
    if (o.Has("cap")) {
      double max = p.kind == CpuShareKind::kMillicores ? kMaxMillicores : 100;
      p.cap = o.Number("cap", std::nullopt, 0, max);
      if (*p.cap < p.amount) {
        Fail(fmt::format("{}: {} is below the policy's own amount, {}", o.Path("cap"),
                         FormatAmount(*p.cap), FormatAmount(p.amount)));
      }
    }
    p.priority = static_cast<int>(o.Integer("priority", 1, 1, 100));
    cpu.policies.push_back(std::move(p));
  }
}

void ReadOptions(const JsonObject& top, policy::PlannerOptions& options) {
  if (!top.Has("options")) return;
  JsonObject o = top.Child("options", {"minimum", "contain_rogues", "hold_contended", "quota_period_us"});
  options.minimum = o.Number("minimum", 0.0, 0, kMaxMillicores);
  options.contain_rogues = o.Bool("contain_rogues", false);
  options.hold_contended = o.Bool("hold_contended", true);
  options.quota_period_us = o.Integer("quota_period_us", 100'000, 1'000, 1'000'000);
}

constexpr int64_t kMaxRate = int64_t{1} << 44;  // bytes per second, as the daemons bound it

// A pipe's applications (terms) and their demand per node; applications
// named only in the demand have no terms.
void ReadPipeApps(const JsonObject& o, const std::map<std::string, NodeId>& nodes, PipeInput& pipe) {
  const Json& apps = o.Array("apps", true);
  std::set<std::string> names;
  for (size_t i = 0; i < apps.size(); ++i) {
    std::string path = ElementPath(o.Path("apps"), i);
    JsonObject a(apps[i], path, {"name", "booked", "cap"});
    PipeAppInput app{a.Name("name"), static_cast<uint64_t>(a.Integer("booked", 0, 0, kMaxRate)),
                     static_cast<uint64_t>(a.Integer("cap", 0, 0, kMaxRate))};
    if (!names.insert(app.name).second) Fail(fmt::format("{}.name: \"{}\" appears twice", path, app.name));
    if (app.cap > 0 && app.cap < app.booked) {
      Fail(fmt::format("{}.cap: {} is below the booking, {}", path, app.cap, app.booked));
    }
    pipe.apps.push_back(std::move(app));
  }
  const Json& demand = o.Array("demand", true);
  std::set<std::pair<std::string, NodeId>> seen;
  for (size_t i = 0; i < demand.size(); ++i) {
    std::string path = ElementPath(o.Path("demand"), i);
    JsonObject d(demand[i], path, {"node", "app", "rate"});
    PipeDemandInput in{NodeRef(d, nodes), d.Name("app"), static_cast<uint64_t>(d.Integer("rate", std::nullopt, 0, kMaxRate))};
    if (!seen.insert({in.app, in.node}).second) {
      Fail(fmt::format("{}: \"{}\" on \"{}\" is listed twice", path, in.app, d.Name("node")));
    }
    if (names.insert(in.app).second) pipe.apps.push_back({in.app, 0, 0});
    pipe.demand.push_back(std::move(in));
  }
}

std::vector<PipeInput> ReadPipes(const JsonObject& top, const std::map<std::string, NodeId>& nodes) {
  std::vector<PipeInput> out;
  const Json& pipes = top.Array("pipes", true);
  std::set<std::string> names;
  for (size_t i = 0; i < pipes.size(); ++i) {
    std::string path = ElementPath("pipes", i);
    JsonObject o(pipes[i], path, {"name", "capacity", "interval_ms", "immediate_share", "queued", "apps", "demand"});
    PipeInput pipe;
    pipe.name = o.Name("name");
    if (!names.insert(pipe.name).second) Fail(fmt::format("{}.name: \"{}\" appears twice", path, pipe.name));
    pipe.capacity = static_cast<uint64_t>(o.Integer("capacity", std::nullopt, 1, int64_t{1} << 50));
    pipe.interval_ms = static_cast<uint64_t>(o.Integer("interval_ms", 20, 1, 10'000));
    pipe.immediate_share = o.Number("immediate_share", bwman::kDefaultImmediateShare, 0, 1);
    const Json& queued = o.Array("queued", true);
    std::set<NodeId> seen;
    for (size_t q = 0; q < queued.size(); ++q) {
      std::string qpath = ElementPath(o.Path("queued"), q);
      JsonObject e(queued[q], qpath, {"node", "booked", "unbooked"});
      NodeId node = NodeRef(e, nodes);
      if (!seen.insert(node).second) Fail(fmt::format("{}.node: listed twice for this pipe", qpath));
      bwman::Queued figures;
      figures.booked = static_cast<uint64_t>(e.Integer("booked", 0, 0, int64_t{1} << 50));
      figures.unbooked = static_cast<uint64_t>(e.Integer("unbooked", 0, 0, int64_t{1} << 50));
      pipe.queued.emplace_back(node, figures);
    }
    ReadPipeApps(o, nodes, pipe);
    if (!pipe.queued.empty() && pipe.per_app()) {
      Fail(fmt::format("{}: give either queued (per node) or apps and demand (per application), not both", path));
    }
    out.push_back(std::move(pipe));
  }
  return out;
}

}  // namespace

Result<PlanDocument> ReadPlanDocument(const Json& doc) {
  try {
    PlanDocument out;
    JsonObject top(doc, "", {"nodes", "instances", "policies", "options", "pipes"});
    auto nodes = ReadNodes(top, out.cpu);
    ReadInstances(top, nodes, out.cpu);
    ReadPolicies(top, out.cpu);
    ReadOptions(top, out.cpu.options);
    out.pipes = ReadPipes(top, nodes);
    return out;
  } catch (const InputError& e) {
    return Error{e.message};
  }
}

}  // namespace shoal::ctl
