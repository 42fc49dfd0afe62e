#include "policy/cpu_planner.h"
#include "policy/first_seen.h"
#include "policy/plan_steps.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <string_view>
#include <tuple>

namespace shoal::policy {
namespace {

double NonNegative(double x) { return x > 0 ? x : 0; }

// Spreads `amount` over instances: max-min by demand first, then max-min
// over the room left on their nodes. Writes into `out` (one per instance).
double Spread(double amount, const std::vector<size_t>& instances,
              const std::vector<InstancePlan>& all, const std::vector<double>& room,
              std::vector<double>& out, std::vector<double>& target) {
  const size_t k = instances.size();
  out.assign(k, 0.0);
  target.resize(k);
  for (size_t j = 0; j < k; ++j) {
    const InstancePlan& inst = all[instances[j]];
    target[j] = std::min(inst.demand, room[inst.node]);
  }
  double spent = RaiseMaxMin(out, target, amount);
  if (spent < amount) {
    for (size_t j = 0; j < k; ++j) target[j] = room[all[instances[j]].node];
    spent += RaiseMaxMin(out, target, amount - spent);
  }
  return spent;
}

// Rounds half up; x >= 0 (where llround gives the same, without its call).
int64_t RoundNonNegative(double x) { return static_cast<int64_t>(x + 0.5); }

// `us_per_millicore`: the quota period in microseconds over 1,000.
int64_t QuotaFor(double millicores, double us_per_millicore) {
  const int64_t q = RoundNonNegative(millicores * us_per_millicore);
  return std::max<int64_t>(q, 1000);  // the kernel's smallest quota is 1 ms
}

}  // namespace

const char* CpuShareKindName(CpuShareKind kind) {
  switch (kind) {
    case CpuShareKind::kPoolPercent: return "pool_percent";
    case CpuShareKind::kServerPercent: return "server_percent";
    case CpuShareKind::kMillicores: return "millicores";
  }
  return "?";
}

const AppPlan* CpuPlan::FindApp(const std::string& name) const {
  auto it = std::lower_bound(apps.begin(), apps.end(), name,
                             [](const AppPlan& a, const std::string& n) { return a.name < n; });
  return it != apps.end() && it->name == name ? &*it : nullptr;
}

const NodePlan* CpuPlan::FindNode(NodeId id) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                             [](const NodePlan& n, NodeId i) { return n.id < i; });
  return it != nodes.end() && it->id == id ? &*it : nullptr;
}

namespace {

// 1. Nodes by id; the pool's capacity.
void PlaceNodes(const PlanInput& in, CpuPlan& plan) {
  std::vector<const PlanNode*> nodes;
  nodes.reserve(in.nodes.size());
  for (const auto& n : in.nodes) nodes.push_back(&n);
  std::sort(nodes.begin(), nodes.end(), [](const PlanNode* a, const PlanNode* b) {
    return std::tie(a->id, a->name, a->capacity) < std::tie(b->id, b->name, b->capacity);
  });
  for (const PlanNode* n : nodes) {
    if (!plan.nodes.empty() && plan.nodes.back().id == n->id) continue;
    NodePlan np;
    np.id = n->id;
    np.name = n->name;
    np.capacity = NonNegative(n->capacity);
    plan.pool_capacity += np.capacity;
    plan.nodes.push_back(std::move(np));
  }
}

// Applications by name: every one with an instance or a policy. Names are
// hashed once each, numbered as first seen, and only the distinct ones
// sorted; `rank` maps first-seen numbers to sorted positions.
struct AppNumbers {
  std::vector<size_t> instance_app;  // per input instance, first-seen number
  std::vector<size_t> rank;          // first-seen number -> index in plan.apps
};

AppNumbers NameApps(const PlanInput& in, CpuPlan& plan) {
  FirstSeen seen;
  std::vector<size_t> instance_app(in.instances.size());
  for (size_t i = 0; i < in.instances.size(); ++i) instance_app[i] = seen.Number(in.instances[i].app);
  std::vector<size_t> policy_app(in.policies.size());
  for (size_t p = 0; p < in.policies.size(); ++p) policy_app[p] = seen.Number(in.policies[p].app);
  const std::vector<std::string_view>& names = seen.names();
  std::vector<size_t> order(names.size());
  for (size_t a = 0; a < order.size(); ++a) order[a] = a;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
  std::vector<size_t> rank(names.size());
  plan.apps.resize(names.size());
  for (size_t a = 0; a < order.size(); ++a) {
    rank[order[a]] = a;
    plan.apps[a].name = std::string(names[order[a]]);
  }
  for (size_t p = 0; p < in.policies.size(); ++p) {
    AppPlan& app = plan.apps[rank[policy_app[p]]];
    if (!app.policy || steps::MoreImportant(in.policies[p], *app.policy)) app.policy = in.policies[p];
  }
  return {std::move(instance_app), std::move(rank)};
}

// Instances bucketed by node (index into plan.nodes): raw[bucket[n] ..
// bucket[n + 1]) are node n's. Views usually list a node's instances
// together, so the last node found is tried first.
struct RawInstance {
  size_t app;
  double demand, usage;
};
struct Buckets {
  std::vector<RawInstance> raw;
  std::vector<size_t> bucket;
};

Buckets BucketByNode(const PlanInput& in, const AppNumbers& numbers, CpuPlan& plan) {
  std::vector<size_t> instance_node(in.instances.size(), SIZE_MAX);
  Buckets b;
  b.bucket.assign(plan.nodes.size() + 1, 0);
  size_t last = SIZE_MAX;
  for (size_t i = 0; i < in.instances.size(); ++i) {
    NodeId id = in.instances[i].node;
    if (last == SIZE_MAX || plan.nodes[last].id != id) {
      const NodePlan* n = plan.FindNode(id);
      if (n == nullptr) {
        ++plan.ignored_instances;
        continue;
      }
      last = static_cast<size_t>(n - plan.nodes.data());
    }
    instance_node[i] = last;
    ++b.bucket[last + 1];
  }
  for (size_t n = 0; n < plan.nodes.size(); ++n) b.bucket[n + 1] += b.bucket[n];
  b.raw.resize(b.bucket.back());
  std::vector<size_t> fill(b.bucket.begin(), b.bucket.end() - 1);
  for (size_t i = 0; i < in.instances.size(); ++i) {
    if (instance_node[i] == SIZE_MAX) continue;
    b.raw[fill[instance_node[i]]++] = {numbers.rank[numbers.instance_app[i]], NonNegative(in.instances[i].demand),
                                       NonNegative(in.instances[i].usage)};
  }
  return b;
}

// Each node's instances by application, duplicates added together, with
// each node's and application's list of them, in one pass over the rows.
void GatherInstances(const PlanInput& in, const AppNumbers& numbers, CpuPlan& plan) {
  Buckets b = BucketByNode(in, numbers, plan);
  plan.instances.reserve(b.raw.size());
  for (size_t n = 0; n < plan.nodes.size(); ++n) {
    const auto first = b.raw.begin() + static_cast<std::ptrdiff_t>(b.bucket[n]);
    const auto end = b.raw.begin() + static_cast<std::ptrdiff_t>(b.bucket[n + 1]);
    std::sort(first, end, [](const RawInstance& x, const RawInstance& y) {
      return std::tie(x.app, x.demand, x.usage) < std::tie(y.app, y.demand, y.usage);
    });
    NodePlan& node = plan.nodes[n];
    node.first = plan.instances.size();
    for (auto r = first; r != end; ++r) {
      AppPlan& app = plan.apps[r->app];
      app.demand += r->demand;
      app.usage += r->usage;
      if (r != first && plan.instances.back().app == r->app) {
        plan.instances.back().demand += r->demand;
        plan.instances.back().usage += r->usage;
        continue;
      }
      app.instances.push_back(plan.instances.size());
      InstancePlan& ip = plan.instances.emplace_back();
      ip.node = static_cast<uint32_t>(n);
      ip.app = static_cast<uint32_t>(r->app);
      ip.demand = r->demand;
      ip.usage = r->usage;
    }
    node.count = plan.instances.size() - node.first;
    if (node.count == 0) node.first = 0;
  }
}

// 2. Requested entitlements and pool-wide caps; the applications with a
// policy and an instance, most important first.
std::vector<size_t> RequestEntitlements(CpuPlan& plan) {
  std::vector<bool> present(plan.apps.size());
  for (size_t a = 0; a < plan.apps.size(); ++a) {
    AppPlan& app = plan.apps[a];
    // An application running nowhere is entitled to nothing for now: its
    // request does not squeeze the others'.
    present[a] = !app.instances.empty();
    if (app.rogue()) continue;
    double server_capacity = 0;
    for (size_t i : app.instances) server_capacity += plan.nodes[plan.instances[i].node].capacity;
    steps::Request(app, plan.pool_capacity, server_capacity);
  }
  return steps::PriorityOrder(plan, present);
}

// A server-percentage policy books its share on each node it runs on.
void BookOnEachServer(AppPlan& app, CpuPlan& plan, const std::vector<double>& room) {
  const CpuPolicy& p = *app.policy;
  for (size_t i : app.instances) {
    InstancePlan& ip = plan.instances[i];
    double node_capacity = plan.nodes[ip.node].capacity;
    ip.booking = std::min(NonNegative(p.amount) / 100.0 * node_capacity * app.scale, room[ip.node]);
    if (p.cap) ip.cap = NonNegative(*p.cap) / 100.0 * node_capacity;
  }
}

// Any other policy spreads its entitlement (and its cap) over its instances.
struct SpreadScratch {
  std::vector<double> share, scratch;
};
void BookAcrossPool(AppPlan& app, CpuPlan& plan, const std::vector<double>& room,
                    const std::vector<double>& capacity, SpreadScratch& s) {
  Spread(app.entitlement, app.instances, plan.instances, room, s.share, s.scratch);
  for (size_t j = 0; j < app.instances.size(); ++j) plan.instances[app.instances[j]].booking = s.share[j];
  if (app.cap == kNoCap) return;
  Spread(app.cap, app.instances, plan.instances, capacity, s.share, s.scratch);
  for (size_t j = 0; j < app.instances.size(); ++j) plan.instances[app.instances[j]].cap = s.share[j];
}

// 4. Bookings, in priority order, within each node's unbooked room.
void Book(const std::vector<size_t>& by_priority, CpuPlan& plan) {
  std::vector<double> capacity(plan.nodes.size());
  for (size_t n = 0; n < plan.nodes.size(); ++n) capacity[n] = plan.nodes[n].capacity;
  // Minimums come before bookings on each node, so they are not bookable.
  std::vector<double> room(plan.nodes.size());
  for (size_t n = 0; n < plan.nodes.size(); ++n) {
    NodePlan& node = plan.nodes[n];
    double minimums = NonNegative(plan.options.minimum) * static_cast<double>(node.count);
    node.bookable = std::max(0.0, node.capacity - minimums);
    room[n] = node.bookable;
  }
  SpreadScratch scratch;
  for (size_t a : by_priority) {
    AppPlan& app = plan.apps[a];
    if (app.policy->kind == CpuShareKind::kServerPercent) {
      BookOnEachServer(app, plan, room);
    } else {
      BookAcrossPool(app, plan, room, capacity, scratch);
    }
    for (size_t i : app.instances) {
      InstancePlan& ip = plan.instances[i];
      ip.cap = std::max(ip.cap, ip.booking);
      room[ip.node] = std::max(0.0, room[ip.node] - ip.booking);
      plan.nodes[ip.node].booked += ip.booking;
      app.booked += ip.booking;
    }
    app.unplaced = std::max(0.0, app.entitlement - app.booked);
    if (app.unplaced < 1e-9 * std::max(1.0, app.entitlement)) app.unplaced = 0;
  }
}


// 5. What a node's instances ask its allocator, by level (AllocateLevels):
// level 1 their bookings, level 2 the demand above them within their caps,
// level 3 a rogue's demand. `levels` receives three columns of `count`.
void Ask(const CpuPlan& plan, const NodePlan& node, std::vector<double>& minimums, std::vector<double>& levels) {
  const size_t n = node.count;
  minimums.assign(n, NonNegative(plan.options.minimum));
  levels.resize(3 * n);
  for (size_t j = 0; j < n; ++j) {  // selects, not branches: rogues are random to the predictor
    const InstancePlan& ip = plan.instances[node.first + j];
    const bool rogue = plan.apps[ip.app].rogue();
    const double burst = std::max(ip.booking, std::min(ip.demand, ip.cap));
    levels[j] = rogue ? 0.0 : ip.booking;
    levels[n + j] = rogue ? 0.0 : burst;
    levels[2 * n + j] = rogue ? ip.demand : burst;
  }
}

// An instance its node holds below its demand: more than a rounding step
// short (noise in a demand at its allocation must not toggle the quota).
bool Held(const InstancePlan& ip) { return ip.demand > ip.allocation * 1.02 + 1.0; }

// What SetCgroup needs of a node and the options, worked out once a node
// (multiplications, where a division per instance cost more than the rest).
struct CgroupScale {
  double weight_per_millicore = 0;  // max_weight over the node's capacity
  double us_per_millicore = 0;      // the quota period over 1,000
  double idle = 0;                  // what the node's plan leaves unused
};

// 6. An instance's cgroup settings: a weight proportional to its
// allocation, a quota where its policy caps it (or it is a contained
// rogue), and where it is held (options.hold_contended) a quota at its
// allocation plus the idle capacity, what the node's plan leaves unused
// (its reserve and the allocations above their instances' demand): a held
// instance may still take all of that at once, and no more than it.
void SetCgroup(InstancePlan& ip, const AppPlan& app, const CgroupScale& scale, const PlannerOptions& options) {
  const double millicores = static_cast<double>(ip.millicores);
  ip.weight = static_cast<uint32_t>(std::clamp<int64_t>(RoundNonNegative(millicores * scale.weight_per_millicore), 1,
                                                        static_cast<int64_t>(options.max_weight)));
  ip.held = Held(ip);
  // The quota of the lowest limit that applies (QuotaFor never falls as
  // its argument rises): the cap, a contained rogue's allocation, a held
  // instance's allocation plus the idle capacity.
  double limit = ip.cap;
  limit = std::min(limit, app.rogue() && options.contain_rogues ? millicores : kNoCap);
  limit = std::min(limit, options.hold_contended && ip.held ? millicores + scale.idle : kNoCap);
  ip.quota_us.reset();
  if (limit != kNoCap) ip.quota_us = QuotaFor(limit, scale.us_per_millicore);
}

}  // namespace

namespace steps {

bool MoreImportant(const CpuPolicy& a, const CpuPolicy& b) {
  double a_cap = a.cap.value_or(kNoCap), b_cap = b.cap.value_or(kNoCap);
  return std::tie(a.priority, b.amount, a.kind, b_cap) < std::tie(b.priority, a.amount, b.kind, a_cap);
}

void Request(AppPlan& app, double pool_capacity, double server_capacity) {
  const CpuPolicy& p = *app.policy;
  const double amount = NonNegative(p.amount);
  std::optional<double> cap;
  if (p.cap) cap = NonNegative(*p.cap);
  switch (p.kind) {
    case CpuShareKind::kPoolPercent:
      app.requested = amount / 100.0 * pool_capacity;
      if (cap) app.cap = *cap / 100.0 * pool_capacity;
      break;
    case CpuShareKind::kMillicores:
      app.requested = amount;
      if (cap) app.cap = *cap;
      break;
    case CpuShareKind::kServerPercent:
      app.requested = amount / 100.0 * server_capacity;
      if (cap && server_capacity > 0) app.cap = *cap / 100.0 * server_capacity;
      break;
  }
}

std::vector<size_t> PriorityOrder(const CpuPlan& plan, const std::vector<bool>& present) {
  std::vector<size_t> by_priority;
  for (size_t a = 0; a < plan.apps.size(); ++a) {
    if (present[a] && !plan.apps[a].rogue()) by_priority.push_back(a);
  }
  std::sort(by_priority.begin(), by_priority.end(), [&](size_t a, size_t b) {
    return plan.apps[a].policy->priority < plan.apps[b].policy->priority ||
           (plan.apps[a].policy->priority == plan.apps[b].policy->priority && a < b);
  });
  return by_priority;
}

// 5 and 6. Each node's allocator, rounder and cgroup settings.
void AllocateNodes(CpuPlan& plan) {
  std::vector<double> minimums, levels, values;
  std::vector<int64_t> rounded;
  FairShareResult r;
  for (NodePlan& node : plan.nodes) {
    Ask(plan, node, minimums, levels);
    AllocateLevels(node.capacity, minimums, levels, 3, Leftover::kReserve, r);
    for (size_t l = 0; l < node.levels.size() && l < r.levels.size(); ++l) node.levels[l] = r.levels[l];
    values.assign(r.amounts.begin(), r.amounts.end());
    values.push_back(r.reserve);
    RoundCumulative(values, rounded);
    node.reserve = rounded.back();
    CgroupScale scale;
    scale.weight_per_millicore = node.capacity > 0 ? plan.options.max_weight / node.capacity : 0.0;
    scale.us_per_millicore = static_cast<double>(plan.options.quota_period_us) / 1000.0;
    // What the node's plan leaves unused: its reserve and every allocation
    // above its instance's demand.
    scale.idle = static_cast<double>(node.reserve);
    for (size_t j = 0; j < node.count; ++j) {
      InstancePlan& ip = plan.instances[node.first + j];
      ip.allocation = r.amounts[j];
      ip.millicores = rounded[j];
      plan.apps[ip.app].allocated += ip.allocation;
      scale.idle += std::max(0.0, ip.allocation - ip.demand);
    }
    for (size_t j = 0; j < node.count; ++j) {
      InstancePlan& ip = plan.instances[node.first + j];
      SetCgroup(ip, plan.apps[ip.app], scale, plan.options);
    }
  }
}

// 3. Keep priority order when the requests exceed the pool.
void KeepPriorities(const std::vector<size_t>& by_priority, CpuPlan& plan) {
  double left = plan.pool_capacity;
  for (size_t g = 0; g < by_priority.size();) {
    size_t end = g;
    double asked = 0;
    int priority = plan.apps[by_priority[g]].policy->priority;
    for (; end < by_priority.size() && plan.apps[by_priority[end]].policy->priority == priority; ++end) {
      asked += plan.apps[by_priority[end]].requested;
    }
    double scale = asked <= left ? 1.0 : left / asked;
    for (size_t j = g; j < end; ++j) {
      AppPlan& app = plan.apps[by_priority[j]];
      app.scale = app.requested > 0 ? scale : 1.0;
      app.entitlement = app.requested * scale;
    }
    left = std::max(0.0, left - asked * scale);
    g = end;
  }
}

}  // namespace steps

CpuPlan PlanCpu(const PlanInput& in) {
  CpuPlan plan;
  plan.options = in.options;
  PlaceNodes(in, plan);
  GatherInstances(in, NameApps(in, plan), plan);
  const std::vector<size_t> by_priority = RequestEntitlements(plan);
  steps::KeepPriorities(by_priority, plan);
  Book(by_priority, plan);
  steps::AllocateNodes(plan);
  return plan;
}

}  // namespace shoal::policy
