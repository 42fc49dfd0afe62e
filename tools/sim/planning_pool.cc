#include "tools/sim/planning_pool.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include "bench/plan_view.h"
#include "daemon/engine/figure_planner.h"
#include "daemon/engine/figures_codec.h"
#include "daemon/engine/levels_inbox.h"
#include "daemon/engine/node_status.h"
#include "gossip/rollup.h"
#include "policy/row_planner.h"

namespace shoal::sim {
namespace {

using policy::PlanInstance;

Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

constexpr Duration kReplanEvery = std::chrono::milliseconds(100);  // the engine's replan_every

// Figures: plans its row from the levels it hears; its part goes up the roll-up.
class FigureNode final : public PlanningNode {
 public:
  FigureNode(size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams, PlanningPool& p,
             const gossip::RollupConfig& config, bool levels_down)
      : i_(i),
        p_(p),
        levels_down_(levels_down),
        rollup_(config, g, streams, p.pool().clock(),
                [&p](std::span<const std::string* const> parts) {
                  return engine::MergeFigureParts(parts, &p.parts_refused);
                },
                [this](const std::string& whole) { OnWhole(whole); }) {
    auto s = g.RegisterChannel(
        gossip::ChannelSpec{gossip::channels::kLevels, "levels",
                            levels_down ? engine::kLevelsChannelPeriod : g.config().period, gossip::kMaxPayloadBytes},
        [this]() -> std::optional<std::string> {
          if (!publish_changed_) return std::nullopt;
          publish_changed_ = false;
          return publish_;
        },
        [this](const gossip::ChannelView& view) { OnLevels(view); });
    if (!s.ok()) throw std::runtime_error(s.error().message);
    rollup_.SetDown([this](const std::string& bytes) {  // from the pool's representative, as the roll-up checked
      if (inbox_.OfferFromTree(rollup_.pool_rep(), bytes, p_.pool().clock().Now())) Apply();
    });
  }
  void Tick() override {
    const TimePoint now = p_.pool().clock().Now();
    if (now >= next_sample_) {
      next_sample_ = p_.workload().NextSample(i_, now);
      replan_ = true;
    }
    if (replan_) {
      replan_ = false;
      rollup_.SetOwn(engine::EncodeFigures(Plan(now).figures));
    }
    if (!rollup_.represents_pool() && !publish_.empty()) {  // withdrawn
      numbering_.Reset();
      Publish(std::string());
    }
    rollup_.Tick();
  }
  void Changed() override { replan_ = true; }
  Row PlanNow(TimePoint now) override { return RowOf(Plan(now).plan, p_.pool().id(i_)); }
  const gossip::Rollup* rollup() const override { return &rollup_; }

 private:
  policy::RowPlan Plan(TimePoint now) const {
    return policy::PlanRow(levels_, p_.workload().view().nodes[i_], p_.Own(i_, now));
  }
  void OnWhole(const std::string& whole) {
    auto figures = engine::DecodeFigures(whole);
    if (!figures.ok()) return;
    const policy::PlanInput& view = p_.workload().view();
    const TimePoint now = p_.pool().clock().Now();
    std::optional<std::string> bytes = numbering_.Encode(policy::PlanLevels(*figures, view.policies, view.options), now);
    if (!bytes) return;  // unchanged
    if (bytes->size() > gossip::kMaxPayloadBytes) {
      ++p_.levels_too_large;
      numbering_.Reset();
      return;
    }
    p_.Published(*bytes, *figures);
    if (levels_down_) {
      rollup_.SendDown(*bytes);
      if (inbox_.OfferFromTree(rollup_.pool_rep(), *bytes, now)) Apply();
    }
    Publish(std::move(*bytes));
  }
  void Publish(std::string bytes) {
    publish_ = std::move(bytes);
    publish_changed_ = true;
  }
  void OnLevels(const gossip::ChannelView& view) {
    const gossip::StoredEntry* e = view.Find(rollup_.pool_rep());
    if (e != nullptr && inbox_.OfferFromChannel(rollup_.pool_rep(), e->payload, p_.pool().clock().Now())) Apply();
  }
  // Plans from the levels the inbox took.
  void Apply() {
    const policy::PlanInput& plan_view = p_.workload().view();
    auto levels = engine::DecodeLevels(inbox_.bytes(), plan_view.policies, plan_view.options);
    if (!levels.ok()) return;
    levels_ = std::move(*levels);
    replan_ = true;
    p_.HeardLevels(i_, levels_);
  }

  size_t i_;
  PlanningPool& p_;
  bool levels_down_;
  gossip::Rollup rollup_;
  engine::LevelsNumbering numbering_;
  engine::LevelsInbox inbox_;
  policy::PoolLevels levels_;
  std::string publish_;
  bool publish_changed_ = false, replan_ = true;
  TimePoint next_sample_{};
};

// Statuses: publishes its status, plans the pool from everyone's.
class StatusNode final : public PlanningNode {
 public:
  StatusNode(size_t i, gossip::Gossiper& g, PlanningPool& p) : i_(i), g_(g), p_(p) {
    // As the engine registers its node channel: asked once a second.
    auto s = g.RegisterChannel(
        gossip::ChannelSpec{gossip::channels::kSimStatus, "status", std::chrono::seconds(1),
                            engine::kNodeStatusMaxBytes},
        [this]() -> std::optional<std::string> { return engine::EncodeNodeStatus(Status(p_.pool().clock().Now())); },
        nullptr);
    if (!s.ok()) throw std::runtime_error(s.error().message);
  }
  void Tick() override {
    const TimePoint now = p_.pool().clock().Now();
    if (now < next_check_) return;
    next_check_ = now + kReplanEvery;
    // What its next plan would read of each probe's node.
    const gossip::ChannelView view = g_.View(gossip::channels::kSimStatus);
    for (const auto& [k, probe] : p_.probes()) {
      if (probe.heard[i_] != TimePoint::max() || now >= probe.until) continue;
      const gossip::StoredEntry* e = view.Find(p_.pool().id(probe.node));
      if (e == nullptr) continue;
      auto status = engine::DecodeNodeStatus(e->payload);
      if (!status.ok()) continue;
      for (const auto& inst : status->instances) {
        if (inst.app == probe.app) p_.HeardProbe(i_, probe.app);
      }
    }
  }
  void Changed() override {}  // published with the next status
  Row PlanNow(TimePoint now) override {
    policy::PlanInput in;
    const policy::PlanInput& view = p_.workload().view();
    in.policies = view.policies;
    in.options = view.options;
    const NodeId self = p_.pool().id(i_);
    g_.View(gossip::channels::kSimStatus).ForEach([&](NodeId origin, const gossip::StoredEntry& e) {
      if (origin == self) return;
      auto status = engine::DecodeNodeStatus(e.payload);
      if (!status.ok()) return;
      in.nodes.push_back({origin, status->name, static_cast<double>(status->capacity_m)});
      for (const auto& inst : status->instances) in.instances.push_back({inst.app, origin, inst.demand_m, inst.usage_m});
    });
    in.nodes.push_back(view.nodes[i_]);
    const std::vector<PlanInstance> own = p_.Own(i_, now);
    in.instances.insert(in.instances.end(), own.begin(), own.end());
    return RowOf(policy::PlanCpu(in), self);
  }

 private:
  engine::NodeStatus Status(TimePoint now) const {
    engine::NodeStatus s;
    const policy::PlanNode& node = p_.workload().view().nodes[i_];
    s.name = node.name;
    s.capacity_m = static_cast<uint32_t>(node.capacity);
    for (const PlanInstance& i : p_.Own(i_, now)) s.instances.push_back({i.app, i.usage, i.demand, 0, 1});
    return s;
  }

  size_t i_;
  gossip::Gossiper& g_;
  PlanningPool& p_;
  TimePoint next_check_{};
};

}  // namespace

std::string ProbeApp(int k) { return fmt::format("zz-probe-{}", k % kProbeApps); }

PlanWorkload::PlanWorkload(size_t nodes, size_t apps, size_t per_node, double load, uint64_t seed, TimePoint epoch)
    : view_(bench::MakeView(nodes, apps, per_node, load, seed)), epoch_(epoch) {
  // Probes are applications with a small policy, so that where one runs
  // shows in the levels.
  for (int k = 0; k < kProbeApps; ++k) {
    view_.policies.push_back({ProbeApp(k), policy::CpuShareKind::kMillicores, 10, std::nullopt, 1});
  }
  Random r(seed ^ 0x3e11ULL);
  size_t i = 0;
  for (size_t n = 0; n < view_.nodes.size(); ++n) {
    first_.push_back(i);
    while (i < view_.instances.size() && view_.instances[i].node == view_.nodes[n].id) ++i;
    node_phase_.push_back(r.Unit());
  }
  first_.push_back(i);
  for (size_t k = 0; k < view_.instances.size(); ++k) phase_.push_back(2 * std::numbers::pi * r.Unit());
}

std::vector<PlanInstance> PlanWorkload::At(size_t n, TimePoint t) const {
  const double s = std::floor(std::chrono::duration<double>(t - epoch_).count() - node_phase_[n]);
  std::vector<PlanInstance> out(view_.instances.begin() + static_cast<std::ptrdiff_t>(first_[n]),
                                view_.instances.begin() + static_cast<std::ptrdiff_t>(first_[n + 1]));
  for (size_t k = 0; k < out.size(); ++k) {
    out[k].demand *= 1 + 0.5 * std::sin(2 * std::numbers::pi * s / 60 + phase_[first_[n] + k]);
    out[k].usage = std::min(out[k].usage, out[k].demand);  // a node's status never says it used more than it wanted
  }
  return out;
}

TimePoint PlanWorkload::NextSample(size_t n, TimePoint t) const {
  const double s = std::chrono::duration<double>(t - epoch_).count() - node_phase_[n];
  return epoch_ + Seconds(std::floor(s) + 1 + node_phase_[n]);
}

PlanningPool::PlanningPool(gossip::SimPool& pool, const PlanWorkload& workload, PlanFrom from,
                           const gossip::RollupConfig& rollup, bool levels_down)
    : pool_(pool), workload_(workload), nodes_(pool.size(), nullptr) {
  pool_.AddComponent([this, from, rollup, levels_down](size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams) {
    std::shared_ptr<PlanningNode> node;
    if (from == PlanFrom::kFigures) {
      node = std::make_shared<FigureNode>(i, g, streams, *this, rollup, levels_down);
    } else {
      node = std::make_shared<StatusNode>(i, g, *this);
    }
    nodes_[i] = node.get();
    return std::function<void()>([node] { node->Tick(); });
  });
}

PlanningPool::~PlanningPool() = default;

void PlanningPool::StartProbe(size_t n) {
  Probe p;
  p.node = n;
  p.start = pool_.clock().Now();
  p.until = p.start + std::chrono::seconds(4);
  p.heard.assign(pool_.size(), TimePoint::max());
  p.app = ProbeApp(next_probe_);
  probes_.emplace(next_probe_++, std::move(p));
  nodes_[n]->Changed();
}

std::vector<PlanInstance> PlanningPool::Own(size_t n, TimePoint t) const {
  std::vector<PlanInstance> own = workload_.At(n, t);
  for (const auto& [k, p] : probes_) {
    if (p.node == n && t >= p.start && t < p.until) own.push_back({p.app, pool_.id(n), 10, 10});
  }
  return own;
}

void PlanningPool::Published(const std::string& levels, const policy::PoolFigures& whole) {
  levels_bytes_.push_back(static_cast<double>(levels.size()));
  const TimePoint now = pool_.clock().Now();
  for (auto& [name, p] : probes_) {
    auto it = whole.apps.find(p.app);
    if (!p.at_top && it != whole.apps.end() && it->second.instances > 0) p.at_top = now;
  }
}

void PlanningPool::HeardLevels(size_t n, const policy::PoolLevels& levels) {
  const TimePoint now = pool_.clock().Now();
  for (auto& [name, p] : probes_) {
    if (p.heard[n] != TimePoint::max() || now >= p.until) continue;
    const policy::AppPlan* app = levels.pool.FindApp(p.app);
    if (app != nullptr && levels.instances[static_cast<size_t>(app - levels.pool.apps.data())] > 0) p.heard[n] = now;
  }
}

void PlanningPool::HeardProbe(size_t n, const std::string& app) {
  const TimePoint now = pool_.clock().Now();
  for (auto& [name, p] : probes_) {
    if (p.app == app && p.heard[n] == TimePoint::max() && now < p.until) p.heard[n] = now;
  }
}

}  // namespace shoal::sim
