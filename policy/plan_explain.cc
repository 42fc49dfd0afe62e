#include "policy/plan_explain.h"

#include <cmath>

#include <fmt/format.h>

namespace shoal::policy {
namespace {

std::string Num(double x) {
  // Whole millicores unless a fraction matters.
  double r = std::round(x * 100) / 100;
  if (r == std::floor(r)) return fmt::format("{:.0f}", r);
  return fmt::format("{:.2f}", r);
}

const char* kLevelNames[] = {"bookings", "burst of applications with a policy", "rogue applications"};

}  // namespace

std::string CpuPolicyText(const CpuPolicy& p) {
  std::string cap;
  std::string amount;
  switch (p.kind) {
    case CpuShareKind::kPoolPercent:
      amount = fmt::format("{}% of the pool", Num(p.amount));
      if (p.cap) cap = fmt::format(", capped at {}% of the pool", Num(*p.cap));
      break;
    case CpuShareKind::kServerPercent:
      amount = fmt::format("{}% of each server it runs on", Num(p.amount));
      if (p.cap) cap = fmt::format(", capped at {}% of each server", Num(*p.cap));
      break;
    case CpuShareKind::kMillicores:
      amount = fmt::format("{} millicores", Num(p.amount));
      if (p.cap) cap = fmt::format(", capped at {} millicores", Num(*p.cap));
      break;
  }
  return fmt::format("{}{}, priority {}", amount, cap, p.priority);
}

std::string FormatMillicores(double millicores) { return Num(millicores); }

Result<std::string> ExplainApp(const CpuPlan& plan, const std::string& name) {
  const AppPlan* app = plan.FindApp(name);
  if (app == nullptr) return MakeError("no application \"{}\" in the view or the policies", name);
  std::string out;
  auto line = [&out](std::string text) { out += text + "\n"; };

  line(fmt::format("{}: {} instance(s), demand {} mc, usage {} mc; pool capacity {} mc on {} node(s)",
                   app->name, app->instances.size(), Num(app->demand), Num(app->usage),
                   Num(plan.pool_capacity), plan.nodes.size()));
  int step = 1;
  if (app->rogue()) {
    line(fmt::format("{}. no policy: a rogue application, with no entitlement and no bookings; on "
                     "each node it shares what bookings and bursts leave, equally with the other rogues",
                     step++));
  } else {
    const CpuPolicy& p = *app->policy;
    line(fmt::format("{}. policy: {}", step++, CpuPolicyText(p)));
    line(fmt::format("{}. entitlement asked: {} mc", step++, Num(app->requested)));
    if (app->instances.empty()) {
      line(fmt::format("{}. it runs on no live node: nothing is entitled or booked, and its request "
                       "squeezes no other application",
                       step++));
      return out;
    }
    double before = 0, level = 0;
    for (const AppPlan& other : plan.apps) {
      if (other.rogue() || other.instances.empty()) continue;
      if (other.policy->priority < p.priority) before += other.entitlement;
      if (other.policy->priority == p.priority) level += other.requested;
    }
    double left = std::max(0.0, plan.pool_capacity - before);
    if (app->scale >= 1) {
      line(fmt::format("{}. priorities: more important policies keep {} mc; priority {} asks {} mc "
                       "of the {} mc left: it fits, the entitlement is whole",
                       step++, Num(before), p.priority, Num(level), Num(left)));
    } else {
      line(fmt::format("{}. priorities: more important policies keep {} mc; priority {} asks {} mc "
                       "of the {} mc left: it does not fit, so every entitlement at this priority "
                       "is scaled by {:.4f}, to {} mc here",
                       step++, Num(before), p.priority, Num(level), Num(left), app->scale,
                       Num(app->entitlement)));
    }
    if (p.kind == CpuShareKind::kServerPercent) {
      line(fmt::format("{}. bookings: {}% of each of its nodes{}, within the room more important "
                       "policies left there:",
                       step++, Num(p.amount), app->scale < 1 ? " (scaled)" : ""));
    } else {
      line(fmt::format("{}. bookings: {} mc spread over its instances max-min by demand, then over "
                       "the room left on their nodes:",
                       step++, Num(app->entitlement)));
    }
    for (size_t i : app->instances) {
      const InstancePlan& ip = plan.instances[i];
      const NodePlan& node = plan.nodes[ip.node];
      line(fmt::format("     {}: demand {} mc, booked {} mc{}", node.name, Num(ip.demand),
                       Num(ip.booking),
                       ip.cap != kNoCap ? fmt::format(", cap {} mc", Num(ip.cap)) : std::string()));
    }
    if (app->unplaced > 0) {
      line(fmt::format("     {} mc could not be booked: every node it runs on is fully booked",
                       Num(app->unplaced)));
    }
  }
  line(fmt::format("{}. on each node, the fair-share allocator over the node's capacity{}:", step++,
                   plan.options.minimum > 0
                       ? fmt::format(" (every instance first receives {} mc)", Num(plan.options.minimum))
                       : std::string()));
  for (size_t i : app->instances) {
    const InstancePlan& ip = plan.instances[i];
    const NodePlan& node = plan.nodes[ip.node];
    line(fmt::format("   {} ({} mc, {} instance(s)):", node.name, Num(node.capacity), node.count));
    for (size_t l = 0; l < node.levels.size() && l < 3; ++l) {
      const LevelOutcome& o = node.levels[l];
      if (o.asked <= 0) {
        line(fmt::format("     level {} ({}): nothing asked", l + 1, kLevelNames[l]));
      } else if (o.fit) {
        line(fmt::format("     level {} ({}): {} mc asked, all granted", l + 1, kLevelNames[l],
                         Num(o.asked)));
      } else if (o.granted <= 0) {
        line(fmt::format("     level {} ({}): {} mc asked, nothing left", l + 1, kLevelNames[l],
                         Num(o.asked)));
      } else {
        line(fmt::format("     level {} ({}): {} mc asked, {} mc left, shared max-min: those "
                         "still short end at {} mc each",
                         l + 1, kLevelNames[l], Num(o.asked), Num(o.granted), Num(o.water)));
      }
    }
    std::string quota = ip.quota_us ? fmt::format(", quota {} us per {} us{}", *ip.quota_us,
                                                  plan.options.quota_period_us,
                                                  ip.held && plan.options.hold_contended
                                                      ? " (held below its demand: its allocation and the node's unused)"
                                                      : "")
                                    : std::string(", no quota (may use idle capacity)");
    line(fmt::format("     -> {} gets {} mc (demand {} mc): weight {}{}", app->name, ip.millicores,
                     Num(ip.demand), ip.weight, quota));
  }
  return out;
}

}  // namespace shoal::policy
