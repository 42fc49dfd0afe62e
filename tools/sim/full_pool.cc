#include "tools/sim/full_pool.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <rocksdb/env.h>

#include "daemon/engine/engine_detail.h"
#include "store/history_store.h"
#include "tools/sim/row_gap.h"

namespace shoal::sim {

FullPoolOptions LanPool(size_t nodes, uint64_t seed, double loss) {
  FullPoolOptions o;
  o.pool.nodes = nodes;
  o.pool.seed = seed;
  o.pool.config = gossip::GossipConfig::Lan();
  o.pool.link.loss = loss;
  return o;
}

sim::Traffic FullPool::Traffic() {
  sim::Traffic t;
  for (size_t i = 0; i < size(); ++i) t.Add(pool_.node(i), pool_.streams(i));
  return t;
}

FullPool::FullPool(FullPoolOptions options)
    : options_(std::move(options)),
      saved_level_(spdlog::get_level()),
      env_(options_.history ? rocksdb::NewMemEnv(rocksdb::Env::Default()) : nullptr),
      pool_(options_.pool),
      wall_(std::make_unique<SimWallClock>(pool_.clock(), options_.start_wall_ms)),
      nodes_(pool_.size()) {
  spdlog::set_level(options_.log_level);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].machine = std::make_unique<SimMachine>(options_.cpus);
    if (options_.workload) options_.workload(i, *nodes_[i].machine);
  }
  if (!options_.lanes.empty()) pipes_ = std::make_unique<SimPipes>(nodes_.size(), options_.lanes);
  pool_.AddComponent([this](size_t i, gossip::Gossiper& g, gossip::PeerStreams& s) { return Build(i, g, s); });
}

FullPool::~FullPool() { spdlog::set_level(saved_level_); }

std::function<void()> FullPool::Build(size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams) {
  struct Parts {
    std::unique_ptr<Random> random;
    std::unique_ptr<SimWallClock> wall;  // when the node's clock is off the others'
    std::unique_ptr<SimProcessSource> source;
    std::unique_ptr<store::HistoryStore> store;  // before the engine that uses it
    std::unique_ptr<engine::NodeEngine> engine;
    std::unique_ptr<engine::DetailService> detail;  // after the engine it reads
  };
  auto parts = std::make_shared<Parts>();
  const std::string name = fmt::format("node-{}", i);
  parts->random = std::make_unique<Random>(options_.pool.seed * 0x51ed2701ULL + i * 104729 + g.identity().boot);
  parts->source = std::make_unique<SimProcessSource>(*nodes_[i].machine);
  if (const int64_t off = options_.wall_offset_ms ? options_.wall_offset_ms(i) : 0; off != 0) {
    parts->wall = std::make_unique<SimWallClock>(pool_.clock(), wall_->NowMs() + off);
  }
  if (options_.history) {
    store::StoreOptions o;
    o.path = "/sim/" + name;
    o.env = env_.get();
    o.sync_replica_writes = false;
    auto opened = store::HistoryStore::Open(g.identity().id, name, o);
    if (!opened.ok()) throw std::runtime_error(opened.error().message);
    parts->store = std::move(*opened);
  }
  engine::EngineConfig config;
  config.node_name = name;
  config.history.copies = options_.history_copies;
  config.pipes = options_.pipe_options;
  config.plan_from_snapshot = options_.plan_from_snapshot;
  config.planning = options_.planning;
  auto e = engine::NodeEngine::Create(
      config,
      engine::EngineSeams{pool_.clock(), parts->wall ? *parts->wall : *wall_, *parts->random, g, streams, *parts->source,
                          std::make_unique<SimCpuEnforcer>(*nodes_[i].machine),
                          pipes_ && options_.pipe_loop ? pipes_->Enforcer(i) : nullptr, parts->store.get()},
      engine::EngineHooks{});
  if (!e.ok()) throw std::runtime_error(e.error().message);
  parts->engine = std::move(*e);
  nodes_[i].engine = parts->engine.get();
  parts->detail = std::make_unique<engine::DetailService>(engine::DetailOf(*parts->engine), g, streams);
  nodes_[i].detail = parts->detail.get();
  nodes_[i].store = parts->store.get();
  return [parts] { parts->engine->Tick(); };
}

void FullPool::StartPipes() {
  if (pipes_) pipes_->Start(pool_.network());
}

std::optional<Duration> FullPool::RunUntil(const std::function<bool()>& done, Duration timeout, Duration step) {
  const TimePoint start = now();
  while (!done()) {
    if (now() - start >= timeout) return std::nullopt;
    RunFor(step);
  }
  return now() - start;
}

Result<policy::PolicyVersion> FullPool::Push(size_t i, const std::string& xml) {
  return engine(i).policies().distribution().Push(xml);
}

size_t FullPool::NodesEnforcing(const policy::PolicyVersion& version) {
  size_t n = 0;
  for (size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    const auto& p = engine(i).policies();
    if (p.distribution().active_version() != version) continue;
    if (p.enforcing() && !engine(i).cpu().control().enforcing()) continue;
    ++n;
  }
  return n;
}

size_t FullPool::Reference() const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (pool_.running(i)) return i;
  }
  return 0;
}

namespace {

// (node, application) -> allocation, from one node's plan.
std::map<std::pair<uint64_t, std::string>, double> Allocations(const policy::CpuPlan& plan) {
  std::map<std::pair<uint64_t, std::string>, double> out;
  for (const auto& ip : plan.instances) out[{plan.nodes[ip.node].id.value, plan.apps[ip.app].name}] = ip.allocation;
  return out;
}

}  // namespace

PlanSpread FullPool::Spread() {
  PlanSpread out;
  const size_t ref = Reference();
  const policy::CpuPlan& reference = engine(ref).cpu().plan();
  if (reference.pool_capacity <= 0) return out;
  const auto want = Allocations(reference);
  std::vector<double> spreads;
  for (size_t i = 0; i < size(); ++i) {
    if (!running(i) || i == ref) continue;
    auto got = Allocations(engine(i).cpu().plan());
    double diff = 0;
    for (const auto& [key, a] : want) {
      auto it = got.find(key);
      diff += std::abs(a - (it == got.end() ? 0.0 : it->second));
      if (it != got.end()) got.erase(it);
    }
    for (const auto& [key, a] : got) diff += a;
    spreads.push_back(diff / reference.pool_capacity);
  }
  if (spreads.empty()) return out;
  std::sort(spreads.begin(), spreads.end());
  out.max = spreads.back();
  out.median = spreads[spreads.size() / 2];
  out.nodes = spreads.size();
  return out;
}

std::vector<double> FullPool::RowGaps() {
  const size_t ref = Reference();
  policy::PlanInput exact;
  exact.policies = engine(ref).policies().InForce(engine(ref).FailedNodes());
  for (size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    const NodeId id = pool_.id(i);
    exact.nodes.push_back({id, engine(i).name(), static_cast<double>(engine(i).CapacityM(options_.cpus))});
    for (const auto& l : engine(i).cpu().local()) exact.instances.push_back({l.app, id, l.demand_m, l.usage_m});
  }
  const policy::CpuPlan whole = policy::PlanCpu(exact);
  std::vector<double> gaps;
  for (size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    const NodeId id = pool_.id(i);
    gaps.push_back(RowGap(RowOf(whole, id), RowOf(engine(i).cpu().plan(), id),
                          static_cast<double>(engine(i).CapacityM(options_.cpus))));
  }
  return gaps;
}

double FullPool::BookedMet(const std::string& app) {
  const policy::AppPlan* plan = engine(Reference()).cpu().plan().FindApp(app);
  double demand = 0, usage = 0;
  for (size_t i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    const auto shares = machine(i).Shares(now());
    if (auto it = shares.find(app); it != shares.end()) {
      demand += it->second.demand_m;
      usage += it->second.usage_m;
    }
  }
  const double owed = std::min(demand, plan ? plan->entitlement : 0.0);
  return owed <= 0 ? 1.0 : std::min(1.0, usage / owed);
}

size_t FullPool::LeastHistoryCopies(uint64_t lag) {
  size_t least = SIZE_MAX;
  for (size_t o = 0; o < size(); ++o) {
    if (!running(o) || !nodes_[o].store) continue;
    const NodeId origin = pool_.id(o);
    const uint64_t last = nodes_[o].store->last_seq();
    size_t copies = 0;
    for (size_t j = 0; j < size(); ++j) {
      if (j == o || !running(j) || !nodes_[j].store) continue;
      auto held = nodes_[j].store->HeldOf(origin);
      if (held && held->applied_seq + lag >= last) ++copies;
    }
    least = std::min(least, copies);
  }
  return least == SIZE_MAX ? 0 : least;
}

}  // namespace shoal::sim
