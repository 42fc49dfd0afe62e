#include "policy/row_planner.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string_view>

#include "policy/plan_steps.h"

namespace shoal::policy {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr size_t kNone = SIZE_MAX;

double NonNegative(double x) { return x > 0 ? x : 0; }

// The level at which `amount`, spread max-min over instances whose bookable
// amounts and room the sketches hold, is spent.
SpreadLevel Solve(double amount, const WaterSketch& bookable, const WaterSketch& room) {
  if (!(amount > 0)) return {false, 0};
  if (amount <= bookable.sum()) return {false, bookable.LevelFor(amount)};
  if (amount >= room.sum()) return {true, kInfinity};
  // Above the bookable demand the instances get the sum of
  // max(b, min(r, W)) = sum(b) + Fill_room(W) - Fill_bookable(W), rising in W.
  const double above = amount - bookable.sum();
  double lo = 0, hi = room.sum();
  for (int i = 0; i < 64 && hi - lo > 1e-6 * std::max(1.0, lo); ++i) {
    const double mid = (lo + hi) / 2;
    (room.Fill(mid) - bookable.Fill(mid) >= above ? hi : lo) = mid;
  }
  return {true, hi};
}

// What one instance gets of a spread: its bookable part up to the level,
// or with fill_room at least that and its room up to the level.
double Apply(const SpreadLevel& s, double bookable, double room) {
  return s.fill_room ? std::max(bookable, std::min(room, s.level)) : std::min(bookable, s.level);
}

// Each application's most important policy.
std::map<std::string_view, const CpuPolicy*> ChoosePolicies(std::span<const CpuPolicy> policies) {
  std::map<std::string_view, const CpuPolicy*> chosen;
  for (const CpuPolicy& p : policies) {
    const CpuPolicy*& c = chosen[p.app];
    if (c == nullptr || steps::MoreImportant(p, *c)) c = &p;
  }
  return chosen;
}

// Every application with figures or a policy, by name, each with its most
// important policy.
std::vector<AppPlan> NameApps(const PoolFigures& figures, std::span<const CpuPolicy> policies) {
  const auto chosen = ChoosePolicies(policies);
  std::vector<std::string_view> names;
  for (const auto& [name, app] : figures.apps) names.push_back(name);
  for (const auto& [name, policy] : chosen) names.push_back(name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<AppPlan> apps(names.size());
  for (size_t a = 0; a < names.size(); ++a) {
    apps[a].name = std::string(names[a]);
    if (auto it = chosen.find(names[a]); it != chosen.end()) apps[a].policy = *it->second;
  }
  return apps;
}

}  // namespace

PoolLevels PlanLevels(const PoolFigures& figures, std::span<const CpuPolicy> policies, const PlannerOptions& options) {
  PoolLevels out;
  CpuPlan& pool = out.pool;
  pool.options = options;
  pool.pool_capacity = NonNegative(figures.capacity);
  out.nodes = figures.nodes;
  pool.apps = NameApps(figures, policies);
  const size_t n = pool.apps.size();
  out.instances.assign(n, 0);
  out.spread.assign(n, SpreadLevel{});
  out.cap_spread.assign(n, SpreadLevel{true, kInfinity});  // uncapped until the pool's figures say where it runs
  std::vector<const AppFigures*> of(n, nullptr);
  std::vector<bool> present(n);
  for (size_t a = 0; a < n; ++a) {
    AppPlan& app = pool.apps[a];
    if (auto it = figures.apps.find(app.name); it != figures.apps.end()) {
      of[a] = &it->second;
      app.demand = of[a]->demand;
      app.usage = of[a]->usage;
      app.booked = of[a]->booked;
      app.allocated = of[a]->allocated;
      out.instances[a] = of[a]->instances;
      present[a] = of[a]->instances > 0;
    }
    if (!app.rogue()) steps::Request(app, pool.pool_capacity, of[a] ? of[a]->node_capacity : 0);
  }
  const std::vector<size_t> by_priority = steps::PriorityOrder(pool, present);
  steps::KeepPriorities(by_priority, pool);
  for (size_t a : by_priority) {
    AppPlan& app = pool.apps[a];
    const AppFigures& f = *of[a];
    if (app.policy->kind == CpuShareKind::kServerPercent) {
      app.unplaced = std::max(0.0, app.entitlement - f.booked);  // as the nodes' last rows booked it
    } else {
      out.spread[a] = Solve(app.entitlement, f.bookable, f.room);
      app.unplaced = std::max(0.0, app.entitlement - f.room.sum());
      if (app.cap != kNoCap) out.cap_spread[a] = Solve(app.cap, f.cappable, f.capacity);
    }
    if (app.unplaced < 1e-9 * std::max(1.0, app.entitlement)) app.unplaced = 0;
  }
  return out;
}

void AttachPolicies(std::span<const CpuPolicy> policies, PoolLevels& levels) {
  const auto chosen = ChoosePolicies(policies);
  for (AppPlan& app : levels.pool.apps) {
    auto it = chosen.find(app.name);
    app.policy = it != chosen.end() ? std::optional<CpuPolicy>(*it->second) : std::nullopt;
  }
}

namespace {

// The row's applications: the levels' and this node's unknown ones (rogue),
// by name; level_of maps each to its index in the levels (kNone: unknown).
void RowApps(const PoolLevels& levels, const std::map<std::string_view, PlanInstance>& mine, CpuPlan& plan,
             std::vector<size_t>& level_of) {
  plan.apps = levels.pool.apps;
  for (AppPlan& app : plan.apps) app.booked = app.allocated = 0;  // this node's, from here
  level_of.resize(plan.apps.size());
  for (size_t a = 0; a < level_of.size(); ++a) level_of[a] = a;
  bool added = false;
  for (const auto& [name, instance] : mine) {
    if (levels.pool.FindApp(std::string(name)) != nullptr) continue;
    AppPlan rogue;
    rogue.name = std::string(name);
    plan.apps.push_back(std::move(rogue));
    level_of.push_back(kNone);
    added = true;
  }
  if (!added) return;
  std::vector<size_t> order(plan.apps.size());
  for (size_t a = 0; a < order.size(); ++a) order[a] = a;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return plan.apps[x].name < plan.apps[y].name; });
  std::vector<AppPlan> apps(order.size());
  std::vector<size_t> levels_of(order.size());
  for (size_t a = 0; a < order.size(); ++a) {
    apps[a] = std::move(plan.apps[order[a]]);
    levels_of[a] = level_of[order[a]];
  }
  plan.apps = std::move(apps);
  level_of = std::move(levels_of);
}

// Step 4 on this node: its bookings in priority order within its room, by
// the pool's levels; and its part of the next figures' sketches.
void BookRow(const PoolLevels& levels, const std::vector<size_t>& level_of, CpuPlan& plan, PoolFigures& part) {
  NodePlan& node = plan.nodes.front();
  const double minimums = NonNegative(plan.options.minimum) * static_cast<double>(node.count);
  node.bookable = std::max(0.0, node.capacity - minimums);
  double room = node.bookable;
  std::vector<bool> present(plan.apps.size());
  for (const InstancePlan& ip : plan.instances) present[ip.app] = true;
  for (size_t a : steps::PriorityOrder(plan, present)) {
    AppPlan& app = plan.apps[a];
    InstancePlan& ip = plan.instances[app.instances.front()];
    const size_t l = level_of[a];  // known: applications with a policy are in the levels
    const CpuPolicy& p = *app.policy;
    if (p.kind == CpuShareKind::kServerPercent) {
      ip.booking = std::min(NonNegative(p.amount) / 100.0 * node.capacity * app.scale, room);
      if (p.cap) ip.cap = NonNegative(*p.cap) / 100.0 * node.capacity;
    } else {
      AppFigures& f = part.apps[app.name];
      const double bookable = std::min(ip.demand, room);
      f.bookable.Add(bookable);
      f.room.Add(room);
      ip.booking = Apply(levels.spread[l], bookable, room);
      if (app.cap != kNoCap) {
        const double cappable = std::min(ip.demand, node.capacity);
        f.cappable.Add(cappable);
        f.capacity.Add(node.capacity);
        ip.cap = Apply(levels.cap_spread[l], cappable, node.capacity);
      }
    }
    ip.cap = std::max(ip.cap, ip.booking);
    room = std::max(0.0, room - ip.booking);
    node.booked += ip.booking;
    app.booked += ip.booking;
  }
  // Applications without a policy here book nothing, but their sketches
  // go up too (in the room left last), so that when a document gives them
  // a policy the pool's first levels already know their demand.
  for (const InstancePlan& ip : plan.instances) {
    if (!plan.apps[ip.app].rogue()) continue;
    AppFigures& f = part.apps[plan.apps[ip.app].name];
    f.bookable.Add(std::min(ip.demand, room));
    f.room.Add(room);
  }
}

}  // namespace

RowPlan PlanRow(const PoolLevels& levels, const PlanNode& self, std::span<const PlanInstance> own) {
  RowPlan out;
  CpuPlan& plan = out.plan;
  plan.options = levels.pool.options;
  plan.pool_capacity = levels.pool.pool_capacity;
  // Own instances by application, duplicates added together.
  std::map<std::string_view, PlanInstance> mine;
  for (const PlanInstance& i : own) {
    PlanInstance& m = mine[i.app];
    m.demand += NonNegative(i.demand);
    m.usage += NonNegative(i.usage);
  }
  std::vector<size_t> level_of;
  RowApps(levels, mine, plan, level_of);
  NodePlan node;
  node.id = self.id;
  node.name = self.name;
  node.capacity = NonNegative(self.capacity);
  for (size_t a = 0; a < plan.apps.size(); ++a) {
    auto it = mine.find(plan.apps[a].name);
    if (it == mine.end()) continue;
    InstancePlan ip;
    ip.app = static_cast<uint32_t>(a);
    ip.demand = it->second.demand;
    ip.usage = it->second.usage;
    plan.apps[a].instances.push_back(plan.instances.size());
    plan.instances.push_back(ip);
  }
  node.count = plan.instances.size();
  plan.nodes.push_back(std::move(node));
  BookRow(levels, level_of, plan, out.figures);
  steps::AllocateNodes(plan);
  PoolFigures& part = out.figures;
  part.nodes = 1;
  part.capacity = plan.nodes.front().capacity;
  for (const InstancePlan& ip : plan.instances) {
    AppFigures& f = part.apps[plan.apps[ip.app].name];
    f.instances = 1;
    f.demand = ip.demand;
    f.usage = ip.usage;
    f.booked = ip.booking;
    f.allocated = ip.allocation;
    f.node_capacity = part.capacity;
  }
  return out;
}

}  // namespace shoal::policy
