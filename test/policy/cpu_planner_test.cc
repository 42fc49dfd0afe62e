#include <algorithm>
#include <map>

#include <catch2/catch.hpp>

#include "core/random.h"
#include "policy/cpu_planner.h"
#include "policy/plan_explain.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

NodeId Id(const std::string& name) { return NodeId::FromName(name); }

PlanNode Node(const std::string& name, double capacity) { return {Id(name), name, capacity}; }

PlanInstance Inst(const std::string& app, const std::string& node, double demand) {
  return {app, Id(node), demand, demand};
}

CpuPolicy Policy(const std::string& app, CpuShareKind kind, double amount, int priority = 1,
                 std::optional<double> cap = std::nullopt) {
  return {app, kind, amount, cap, priority};
}

const InstancePlan& Find(const CpuPlan& plan, const std::string& app, const std::string& node) {
  const AppPlan* a = plan.FindApp(app);
  REQUIRE(a != nullptr);
  for (size_t i : a->instances) {
    if (plan.nodes[plan.instances[i].node].name == node) return plan.instances[i];
  }
  FAIL("no instance of " << app << " on " << node);
  return plan.instances.front();
}

}  // namespace

TEST_CASE("Planner: bookings from a pool share, burst, and a rogue taking the rest") {
  PlanInput in;
  in.nodes = {Node("n1", 4000), Node("n2", 4000)};
  in.instances = {Inst("web", "n1", 3000), Inst("web", "n2", 3000), Inst("batch", "n1", 4000)};
  in.policies = {Policy("web", CpuShareKind::kPoolPercent, 50)};
  CpuPlan plan = PlanCpu(in);
  REQUIRE(plan.pool_capacity == 8000);
  const AppPlan* web = plan.FindApp("web");
  REQUIRE(web->entitlement == Approx(4000));
  REQUIRE(web->scale == 1);
  REQUIRE(web->unplaced == 0);
  // 4000 over two instances demanding 3000 each: 2000 booked on each node.
  REQUIRE(Find(plan, "web", "n1").booking == Approx(2000));
  REQUIRE(Find(plan, "web", "n2").booking == Approx(2000));
  // On n1: web's booking (2000), then its burst to its demand (3000), then
  // the rogue batch gets the last 1000. n2 keeps 1000 in reserve.
  REQUIRE(Find(plan, "web", "n1").millicores == 3000);
  REQUIRE(Find(plan, "batch", "n1").millicores == 1000);
  REQUIRE(Find(plan, "web", "n2").millicores == 3000);
  REQUIRE(plan.FindNode(Id("n2"))->reserve == 1000);
  REQUIRE(Find(plan, "web", "n1").weight == 7500);
  REQUIRE(Find(plan, "batch", "n1").weight == 2500);
  REQUIRE_FALSE(Find(plan, "web", "n1").quota_us.has_value());
  REQUIRE(plan.FindApp("batch")->rogue());
}

TEST_CASE("Planner: an entitlement books ahead of demand, within each node's room") {
  PlanInput in;
  in.nodes = {Node("a", 2000), Node("b", 2000)};
  // Demand 500 in all, entitlement 3000: 500 by demand, the other 2500
  // spread max-min over the room (1250 + 1250 on top of 250 each).
  in.instances = {Inst("db", "a", 250), Inst("db", "b", 250)};
  in.policies = {Policy("db", CpuShareKind::kMillicores, 3000)};
  CpuPlan plan = PlanCpu(in);
  REQUIRE(Find(plan, "db", "a").booking == Approx(1500));
  REQUIRE(Find(plan, "db", "b").booking == Approx(1500));
  // The guarantee is the weight; usage is still the demand's.
  REQUIRE(Find(plan, "db", "a").millicores == 1500);
}

TEST_CASE("Planner: priorities are kept when the pool shrinks") {
  PlanInput in;
  in.nodes = {Node("n1", 1000), Node("n2", 1000)};
  in.instances = {Inst("gold", "n1", 2000), Inst("silver", "n1", 2000), Inst("silver", "n2", 2000),
                  Inst("bronze", "n2", 2000)};
  in.policies = {Policy("gold", CpuShareKind::kMillicores, 1000, 1),
                 Policy("silver", CpuShareKind::kMillicores, 1600, 2),
                 Policy("bronze", CpuShareKind::kMillicores, 500, 3)};
  CpuPlan plan = PlanCpu(in);
  // 3100 asked of 2000: gold keeps 1000, silver is scaled to the 1000 left
  // (1000 / 1600), bronze gets nothing.
  REQUIRE(plan.FindApp("gold")->scale == 1);
  REQUIRE(plan.FindApp("silver")->scale == Approx(0.625));
  REQUIRE(plan.FindApp("silver")->entitlement == Approx(1000));
  REQUIRE(plan.FindApp("bronze")->entitlement == 0);
  // gold fills n1, so silver's booking lands on n2.
  REQUIRE(Find(plan, "gold", "n1").booking == Approx(1000));
  REQUIRE(Find(plan, "silver", "n1").booking == Approx(0));
  REQUIRE(Find(plan, "silver", "n2").booking == Approx(1000));
  REQUIRE(plan.FindApp("silver")->unplaced == 0);
}

TEST_CASE("Planner: a server percentage books on every node the application runs on") {
  PlanInput in;
  in.nodes = {Node("big", 8000), Node("small", 2000), Node("idle", 4000)};
  in.instances = {Inst("agent", "big", 100), Inst("agent", "small", 100)};
  in.policies = {Policy("agent", CpuShareKind::kServerPercent, 25)};
  CpuPlan plan = PlanCpu(in);
  REQUIRE(plan.FindApp("agent")->requested == Approx(2500));
  REQUIRE(Find(plan, "agent", "big").booking == Approx(2000));
  REQUIRE(Find(plan, "agent", "small").booking == Approx(500));
}

TEST_CASE("Planner: a cap becomes a quota and bounds the burst") {
  PlanInput in;
  in.nodes = {Node("n", 8000)};
  in.instances = {Inst("web", "n", 6000), Inst("batch", "n", 8000)};
  in.policies = {Policy("web", CpuShareKind::kPoolPercent, 10, 1, 25.0)};
  CpuPlan plan = PlanCpu(in);
  const InstancePlan& web = Find(plan, "web", "n");
  REQUIRE(web.booking == Approx(800));
  REQUIRE(web.cap == Approx(2000));
  REQUIRE(web.millicores == 2000);
  REQUIRE(web.quota_us == 200'000);  // 2 cores of a 100 ms period
  REQUIRE(Find(plan, "batch", "n").millicores == 6000);
  // batch wants 8000 and is held at 6000: a quota there (hold_contended).
  REQUIRE(Find(plan, "batch", "n").quota_us == 600'000);

  in.options.hold_contended = false;
  REQUIRE_FALSE(Find(PlanCpu(in), "batch", "n").quota_us.has_value());
  in.options.contain_rogues = true;
  CpuPlan contained = PlanCpu(in);
  REQUIRE(Find(contained, "batch", "n").quota_us == 600'000);
}

TEST_CASE("Planner: an instance held below its demand gets a quota at its allocation") {
  PlanInput in;
  in.nodes = {Node("n", 600), Node("m", 600)};
  // Both nodes contended: gold and bronze each want more than a node has.
  in.instances = {Inst("gold", "n", 2000), Inst("bronze", "n", 2000), Inst("gold", "m", 2000),
                  Inst("bronze", "m", 2000)};
  in.policies = {Policy("gold", CpuShareKind::kPoolPercent, 75), Policy("bronze", CpuShareKind::kPoolPercent, 25)};
  CpuPlan plan = PlanCpu(in);
  // Held: each at its allocation, so the 3:1 split holds on any CPU.
  REQUIRE(Find(plan, "gold", "n").millicores == 450);
  REQUIRE(Find(plan, "gold", "n").quota_us == 45'000);
  REQUIRE(Find(plan, "bronze", "n").quota_us == 15'000);
  REQUIRE(Find(plan, "bronze", "m").quota_us == 15'000);
  REQUIRE(Find(plan, "bronze", "n").held);
  auto why = ExplainApp(plan, "bronze");
  REQUIRE(why.ok());
  REQUIRE_THAT(*why, Catch::Contains("quota 15000 us per 100000 us (held below its demand"));

  // A demand within a rounding step of its allocation is not held.
  in.instances[1].demand = 151.5;
  CpuPlan near = PlanCpu(in);
  REQUIRE(Find(near, "bronze", "n").millicores == 150);
  REQUIRE_FALSE(Find(near, "bronze", "n").quota_us.has_value());
  REQUIRE(Find(near, "gold", "n").quota_us == 45'000);

  // gold wants 100 of its 450 booking on each node: bronze, held at 150,
  // may still take the 350 gold leaves unused, at once.
  in.instances = {Inst("gold", "n", 100), Inst("bronze", "n", 2000), Inst("gold", "m", 100),
                  Inst("bronze", "m", 2000)};
  CpuPlan idle = PlanCpu(in);
  REQUIRE(Find(idle, "gold", "n").millicores == 450);
  REQUIRE(Find(idle, "bronze", "n").millicores == 150);
  REQUIRE(Find(idle, "bronze", "n").quota_us == 50'000);
  REQUIRE_FALSE(Find(idle, "gold", "n").quota_us.has_value());

  // Not contended: no quota.
  in.instances = {Inst("gold", "n", 100), Inst("bronze", "n", 100)};
  for (const InstancePlan& ip : PlanCpu(in).instances) REQUIRE_FALSE(ip.quota_us.has_value());
}

TEST_CASE("Planner: what no node can hold is reported unplaced") {
  PlanInput in;
  in.nodes = {Node("n1", 4000), Node("n2", 4000)};
  in.instances = {Inst("big", "n1", 9000)};
  in.policies = {Policy("big", CpuShareKind::kMillicores, 5000)};
  CpuPlan plan = PlanCpu(in);
  REQUIRE(plan.FindApp("big")->booked == Approx(4000));
  REQUIRE(plan.FindApp("big")->unplaced == Approx(1000));
}

TEST_CASE("Planner: rogue applications share equally, the small one fully served") {
  PlanInput in;
  in.nodes = {Node("n", 3000), Node("gone-soon", 1000)};
  in.instances = {Inst("a", "n", 3000), Inst("b", "n", 500), Inst("c", "n", 3000),
                  Inst("a", "unknown", 100)};
  CpuPlan plan = PlanCpu(in);
  REQUIRE(Find(plan, "b", "n").millicores == 500);
  REQUIRE(Find(plan, "a", "n").millicores == 1250);
  REQUIRE(Find(plan, "c", "n").millicores == 1250);
  REQUIRE(plan.ignored_instances == 1);
}

namespace {

PlanInput RandomView(Random& rng) {
  PlanInput in;
  size_t nodes = 1 + rng.Below(12);
  size_t apps = 1 + rng.Below(10);
  for (size_t n = 0; n < nodes; ++n) {
    in.nodes.push_back(Node("node" + std::to_string(n), 1000.0 * static_cast<double>(1 + rng.Below(16))));
  }
  for (size_t a = 0; a < apps; ++a) {
    std::string app = "app" + std::to_string(a);
    for (size_t n = 0; n < nodes; ++n) {
      if (rng.Chance(0.5)) {
        in.instances.push_back(Inst(app, in.nodes[n].name, rng.Chance(0.2) ? 0 : rng.Unit() * 6000));
      }
    }
    if (rng.Chance(0.7)) {
      auto kind = static_cast<CpuShareKind>(rng.Below(3));
      double amount = kind == CpuShareKind::kMillicores ? rng.Unit() * 8000 : rng.Unit() * 40;
      std::optional<double> cap;
      if (rng.Chance(0.3)) cap = amount * (1 + rng.Unit());
      in.policies.push_back(Policy(app, kind, amount, 1 + static_cast<int>(rng.Below(3)), cap));
    }
  }
  if (rng.Chance(0.3)) in.options.minimum = rng.Unit() * 50;
  return in;
}

template <typename T>
void Shuffle(std::vector<T>& v, Random& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Below(i)]);
}

}  // namespace

TEST_CASE("Planner properties over random views") {
  Random rng(31337);
  for (int round = 0; round < 1500; ++round) {
    PlanInput in = RandomView(rng);
    CpuPlan plan = PlanCpu(in);
    INFO("round " << round);

    double requested = 0;
    for (const AppPlan& app : plan.apps) requested += app.requested;
    std::vector<double> booked(plan.nodes.size(), 0.0);
    for (const NodePlan& node : plan.nodes) {
      // No node over capacity; the rounder keeps the node's total.
      int64_t total = node.reserve;
      for (size_t j = 0; j < node.count; ++j) {
        const InstancePlan& ip = plan.instances[node.first + j];
        REQUIRE(ip.millicores >= 0);
        REQUIRE(ip.weight >= 1);
        REQUIRE(ip.weight <= plan.options.max_weight);
        total += ip.millicores;
        booked[ip.node] += ip.booking;
        // Bookings are always granted (up to the rounder's one millicore).
        REQUIRE(static_cast<double>(ip.millicores) >= std::min(ip.booking, node.capacity) - 1.0 - 1e-6);
        if (ip.quota_us) REQUIRE(*ip.quota_us >= 1000);
      }
      REQUIRE(total == static_cast<int64_t>(node.capacity));
      REQUIRE(node.booked <= node.capacity + 1e-6);
    }
    for (const AppPlan& app : plan.apps) {
      if (app.rogue()) continue;
      // Bookings are met whenever they fit: every entitlement is whole when
      // the pool holds all requests, and what stays unplaced found every node
      // it runs on already fully booked.
      if (requested <= plan.pool_capacity * (1 - 1e-9)) REQUIRE(app.scale == 1);
      // Server percentages book per node: a short booking means that node is full.
      bool per_node = app.policy->kind == CpuShareKind::kServerPercent;
      for (size_t i : app.instances) {
        const InstancePlan& ip = plan.instances[i];
        double target = app.policy->amount / 100 * plan.nodes[ip.node].capacity * app.scale;
        bool short_here = per_node ? ip.booking < target - 1e-6 : app.unplaced > 1e-6;
        if (short_here) REQUIRE(booked[ip.node] >= plan.nodes[ip.node].bookable - 1e-6);
      }
      // Priority order kept on overload.
      for (const AppPlan& other : plan.apps) {
        if (!other.rogue() && other.policy->priority > app.policy->priority && other.entitlement > 1e-9) {
          REQUIRE(app.scale == 1);
        }
      }
    }
    // Rogue instances on a node share max-min: one still short of its demand
    // has at least as much as any other rogue there (minus rounding).
    for (const NodePlan& node : plan.nodes) {
      for (size_t j = 0; j < node.count; ++j) {
        const InstancePlan& x = plan.instances[node.first + j];
        if (!plan.apps[x.app].rogue() || x.allocation >= x.demand - 1e-6) continue;
        for (size_t k = 0; k < node.count; ++k) {
          const InstancePlan& y = plan.instances[node.first + k];
          if (plan.apps[y.app].rogue()) REQUIRE(x.allocation >= y.allocation - 1e-6);
        }
      }
    }
    // The same view in any order gives the same plan.
    PlanInput shuffled = in;
    Shuffle(shuffled.nodes, rng);
    Shuffle(shuffled.instances, rng);
    Shuffle(shuffled.policies, rng);
    CpuPlan again = PlanCpu(shuffled);
    REQUIRE(again.instances.size() == plan.instances.size());
    for (size_t i = 0; i < plan.instances.size(); ++i) {
      REQUIRE(again.instances[i].millicores == plan.instances[i].millicores);
      REQUIRE(again.instances[i].booking == plan.instances[i].booking);
      REQUIRE(again.instances[i].weight == plan.instances[i].weight);
      REQUIRE(again.instances[i].quota_us == plan.instances[i].quota_us);
    }
  }
}
