#include "tools/ctl/plan_cmd.h"

#include <algorithm>

#include <fmt/format.h>

#include "policy/plan_explain.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace {

using policy::CpuPlan;
using policy::FormatMillicores;
using policy::kNoCap;

std::string PolicyCell(const policy::AppPlan& app) {
  if (app.rogue()) return "rogue";
  const auto& p = *app.policy;
  switch (p.kind) {
    case policy::CpuShareKind::kPoolPercent: return FormatAmount(p.amount) + "% pool";
    case policy::CpuShareKind::kServerPercent: return FormatAmount(p.amount) + "% server";
    case policy::CpuShareKind::kMillicores: return FormatAmount(p.amount) + " mc";
  }
  return "?";
}

std::string CapCell(double cap) { return cap == kNoCap ? "-" : FormatMillicores(cap); }

// Each application's part of each node's credit, where it wants anything.
std::string AppCreditsText(const PipePlan& pipe, const CpuPlan& plan) {
  Table t({"application", "node", ">demand", ">booked", ">unbooked", ">credit"});
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const auto credits = pipe.round.AppCredits(i);
    for (size_t slot = 0; slot < credits.size(); ++slot) {
      const uint64_t want = pipe.round_input.demand[i][slot];
      if (want == 0) continue;
      t.Add({pipe.input.apps[slot].name, plan.nodes[i].name, std::to_string(want), std::to_string(credits[slot].booked),
             std::to_string(credits[slot].unbooked), std::to_string(credits[slot].booked + credits[slot].unbooked)});
    }
  }
  return t.empty() ? std::string() : t.Render("  ");
}

size_t NodeIndex(const CpuPlan& plan, NodeId node) {
  return static_cast<size_t>(plan.FindNode(node) - plan.nodes.data());  // the input checked it is listed
}

// The daemons' round over the applications' demand, in bytes per interval.
PipePlan PlanRound(const PipeInput& pipe, const CpuPlan& cpu) {
  PipePlan p{pipe, {}, {}, {}};
  p.round_input.interval_bytes = pipe.interval_bytes();
  p.round_input.immediate_share = pipe.immediate_share;
  for (const PipeAppInput& a : pipe.apps) {
    p.round_input.apps.push_back({pipe.PerInterval(a.booked), a.cap > 0 ? pipe.PerInterval(a.cap) : bwman::kNoCap});
  }
  p.round_input.demand.assign(cpu.nodes.size(), std::vector<uint64_t>(pipe.apps.size()));
  for (const PipeDemandInput& d : pipe.demand) {
    const auto slot = std::find_if(pipe.apps.begin(), pipe.apps.end(), [&](auto& a) { return a.name == d.app; });
    p.round_input.demand[NodeIndex(cpu, d.node)][static_cast<size_t>(slot - pipe.apps.begin())] =
        pipe.PerInterval(d.rate);
  }
  p.round = bwman::DivideRound(p.round_input);
  p.division = p.round.nodes;
  return p;
}

}  // namespace

bwman::RoundNames PipePlan::Names(const CpuPlan& cpu) const {
  bwman::RoundNames n{input.name, input.interval_ms, {}, {}};
  for (const auto& node : cpu.nodes) n.nodes.push_back(node.name);
  for (const auto& app : input.apps) n.apps.push_back(app.name);
  return n;
}

PlanResult RunPlan(const PlanDocument& doc) {
  PlanResult out;
  out.cpu = policy::PlanCpu(doc.cpu);
  for (const PipeInput& pipe : doc.pipes) {
    if (pipe.per_app()) {
      out.pipes.push_back(PlanRound(pipe, out.cpu));
      continue;
    }
    // Every live node takes part (an idle one still gets immediate credit).
    std::vector<bwman::Queued> queued(out.cpu.nodes.size());
    for (const auto& [node, figures] : pipe.queued) queued[NodeIndex(out.cpu, node)] = figures;
    out.pipes.push_back({pipe, bwman::DivideCredit(pipe.interval_bytes(), pipe.immediate_share, queued), {}, {}});
  }
  return out;
}

Result<std::string> ExplainPlan(const PlanResult& plan, const std::string& name) {
  std::string out;
  const bool cpu_app = plan.cpu.FindApp(name) != nullptr;
  if (cpu_app) {
    auto text = policy::ExplainApp(plan.cpu, name);
    if (!text) return text.error();
    out += *text;
  }
  for (const PipePlan& pipe : plan.pipes) {
    if (pipe.input.name == name) {
      if (!pipe.input.per_app()) {
        return MakeError("pipe \"{}\" is given as queued bytes per node: give its apps and demand to have it "
                         "explained", name);
      }
      out += (out.empty() ? "" : "\n") + bwman::ExplainNodeCredits(pipe.round_input, pipe.round, pipe.Names(plan.cpu));
      continue;
    }
    for (size_t slot = 0; slot < pipe.input.apps.size(); ++slot) {
      if (pipe.input.apps[slot].name != name) continue;
      out += (out.empty() ? "" : "\n") +
             bwman::ExplainAppCredit(pipe.round_input, pipe.round, pipe.Names(plan.cpu), slot);
    }
  }
  if (out.empty()) return MakeError("no application or pipe \"{}\" in the view, the policies or the pipes", name);
  return out;
}

std::string PlanText(const PlanResult& result) {
  const CpuPlan& plan = result.cpu;
  std::string out;
  size_t rogues = 0;
  for (const auto& app : plan.apps) rogues += app.rogue() ? 1 : 0;
  out += fmt::format("pool: {} node(s), {} mc; {} application(s), {} with a policy, {} rogue\n\n",
                     plan.nodes.size(), FormatMillicores(plan.pool_capacity), plan.apps.size(),
                     plan.apps.size() - rogues, rogues);

  Table apps({"application", "policy", ">priority", ">requested", ">entitled", ">booked",
              ">unplaced", ">cap", ">demand", ">allocated"});
  for (const auto& app : plan.apps) {
    bool r = app.rogue();
    apps.Add({app.name, PolicyCell(app), r ? "-" : std::to_string(app.policy->priority),
              r ? "-" : FormatMillicores(app.requested), r ? "-" : FormatMillicores(app.entitlement),
              r ? "-" : FormatMillicores(app.booked), r ? "-" : FormatMillicores(app.unplaced),
              CapCell(app.cap), FormatMillicores(app.demand), FormatMillicores(app.allocated)});
  }
  out += apps.Render();

  for (const auto& node : plan.nodes) {
    out += fmt::format("\nnode {}: capacity {} mc, booked {} mc, reserve {} mc\n", node.name,
                       FormatMillicores(node.capacity), FormatMillicores(node.booked), node.reserve);
    if (node.count == 0) continue;
    Table t({"instance", ">demand", ">usage", ">booking", ">cap", ">allocation", ">weight", ">quota_us"});
    for (size_t j = 0; j < node.count; ++j) {
      const auto& ip = plan.instances[node.first + j];
      t.Add({plan.apps[ip.app].name, FormatMillicores(ip.demand), FormatMillicores(ip.usage),
             FormatMillicores(ip.booking), CapCell(ip.cap), std::to_string(ip.millicores),
             std::to_string(ip.weight), ip.quota_us ? std::to_string(*ip.quota_us) : "-"});
    }
    out += t.Render("  ");
  }
  if (plan.ignored_instances > 0) {
    out += fmt::format("\n{} instance(s) on nodes outside the view were left out\n",
                       plan.ignored_instances);
  }

  for (const PipePlan& pipe : result.pipes) {
    const auto& d = pipe.division;
    std::string state = d.overbooked ? "over-booked: bookings share the interval"
                        : d.unbooked_fraction < 1
                            ? fmt::format("congested: unbooked bytes get {:.1f}%", 100 * d.unbooked_fraction)
                            : fmt::format("everything queued fits; {} bytes unqueued", d.unqueued);
    out += fmt::format("\npipe {}: {} B/s, {} ms interval = {} bytes, immediate share {}%; {}\n",
                       pipe.input.name, pipe.input.capacity, pipe.input.interval_ms, d.interval_bytes,
                       FormatAmount(100 * pipe.input.immediate_share), state);
    Table t({"node", ">booked", ">unbooked", ">immediate", ">credit"});
    for (size_t i = 0; i < plan.nodes.size(); ++i) {
      const auto& c = d.credits[i];
      t.Add({plan.nodes[i].name, std::to_string(c.booked), std::to_string(c.unbooked),
             std::to_string(c.immediate), std::to_string(c.total())});
    }
    out += t.Render("  ");
    if (pipe.input.per_app()) out += AppCreditsText(pipe, plan);
  }
  return out;
}

std::string PlanJson(const PlanResult& result) {
  const CpuPlan& plan = result.cpu;
  using OJson = nlohmann::ordered_json;
  auto cap = [](double c) { return c == kNoCap ? OJson(nullptr) : OJson(AmountJson(c)); };
  OJson doc;
  doc["pool_capacity"] = AmountJson(plan.pool_capacity);
  OJson apps = OJson::array();
  for (const auto& app : plan.apps) {
    OJson a;
    a["name"] = app.name;
    a["rogue"] = app.rogue();
    if (!app.rogue()) {
      OJson p;
      p[policy::CpuShareKindName(app.policy->kind)] = AmountJson(app.policy->amount);
      if (app.policy->cap) p["cap"] = AmountJson(*app.policy->cap);
      p["priority"] = app.policy->priority;
      a["policy"] = std::move(p);
      a["requested"] = AmountJson(app.requested);
      a["scale"] = AmountJson(app.scale);
      a["entitlement"] = AmountJson(app.entitlement);
      a["booked"] = AmountJson(app.booked);
      a["unplaced"] = AmountJson(app.unplaced);
    }
    a["cap"] = cap(app.cap);
    a["demand"] = AmountJson(app.demand);
    a["usage"] = AmountJson(app.usage);
    a["allocated"] = AmountJson(app.allocated);
    apps.push_back(std::move(a));
  }
  doc["apps"] = std::move(apps);
  OJson nodes = OJson::array();
  for (const auto& node : plan.nodes) {
    OJson n;
    n["name"] = node.name;
    n["capacity"] = AmountJson(node.capacity);
    n["booked"] = AmountJson(node.booked);
    n["reserve"] = node.reserve;
    OJson instances = OJson::array();
    for (size_t j = 0; j < node.count; ++j) {
      const auto& ip = plan.instances[node.first + j];
      OJson i;
      i["app"] = plan.apps[ip.app].name;
      i["demand"] = AmountJson(ip.demand);
      i["usage"] = AmountJson(ip.usage);
      i["booking"] = AmountJson(ip.booking);
      i["cap"] = cap(ip.cap);
      i["allocation"] = ip.millicores;
      i["weight"] = ip.weight;
      i["quota_us"] = ip.quota_us ? OJson(*ip.quota_us) : OJson(nullptr);
      instances.push_back(std::move(i));
    }
    n["instances"] = std::move(instances);
    nodes.push_back(std::move(n));
  }
  doc["nodes"] = std::move(nodes);
  doc["quota_period_us"] = plan.options.quota_period_us;
  doc["ignored_instances"] = plan.ignored_instances;
  OJson pipes = OJson::array();
  for (const PipePlan& pipe : result.pipes) {
    const auto& d = pipe.division;
    OJson p;
    p["name"] = pipe.input.name;
    p["interval_bytes"] = d.interval_bytes;
    p["immediate_share"] = AmountJson(pipe.input.immediate_share);
    p["overbooked"] = d.overbooked;
    p["unbooked_fraction"] = AmountJson(d.unbooked_fraction);
    p["unqueued"] = d.unqueued;
    OJson credits = OJson::array();
    for (size_t i = 0; i < plan.nodes.size(); ++i) {
      const auto& c = d.credits[i];
      credits.push_back({{"node", plan.nodes[i].name}, {"booked", c.booked}, {"unbooked", c.unbooked},
                         {"immediate", c.immediate}, {"credit", c.total()}});
    }
    p["credits"] = std::move(credits);
    if (pipe.input.per_app()) {
      OJson parts = OJson::array();
      for (size_t i = 0; i < plan.nodes.size(); ++i) {
        const auto app_credits = pipe.round.AppCredits(i);
        for (size_t slot = 0; slot < app_credits.size(); ++slot) {
          if (pipe.round_input.demand[i][slot] == 0) continue;
          parts.push_back({{"app", pipe.input.apps[slot].name}, {"node", plan.nodes[i].name},
                          {"demand", pipe.round_input.demand[i][slot]}, {"booked", app_credits[slot].booked},
                          {"unbooked", app_credits[slot].unbooked}});
        }
      }
      p["app_credits"] = std::move(parts);
    }
    pipes.push_back(std::move(p));
  }
  doc["pipes"] = std::move(pipes);
  return doc.dump(2) + "\n";
}

}  // namespace shoal::ctl
