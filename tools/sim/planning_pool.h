// The nodes of shoal-sim --figures (figures_run.h): a pool on the simulated
// network whose every node plans its own CPU row one of two ways, so the
// two can be measured side by side on the same workload:
//
//   - statuses (today's): every node publishes its status (the engine's
//     node status codec) and plans the whole pool from everyone's;
//   - figures (issue 26): every node plans its row from the levels it
//     hears (policy/row_planner.h) and sends its part of the pool's
//     figures up the roll-up (gossip/rollup.h); the node representing the
//     pool derives the levels and publishes them on the levels channel.
//
// The workload: bench/plan_view.h's synthetic view; each instance's demand
// swings +-50% over a minute at its own phase, sampled by its node once a
// second at the node's own phase, so every node's figures change every
// second. Probes: an application that appears at one node for four
// seconds; the pool notes when every node's planning input names it. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gossip/rollup.h"
#include "gossip/sim/sim_pool.h"
#include "policy/cpu_planner.h"
#include "policy/pool_figures.h"
#include "policy/row_planner.h"
#include "tools/sim/row_gap.h"

namespace shoal::sim {

enum class PlanFrom { kStatuses, kFigures };

class PlanWorkload {
 public:
  PlanWorkload(size_t nodes, size_t apps, size_t per_node, double load, uint64_t seed, TimePoint epoch);
  const policy::PlanInput& view() const { return view_; }
  // Node n's instances as it last sampled them, at `t`.
  std::vector<policy::PlanInstance> At(size_t n, TimePoint t) const;
  // When node n samples next after `t`.
  TimePoint NextSample(size_t n, TimePoint t) const;

 private:
  policy::PlanInput view_;
  TimePoint epoch_;
  std::vector<size_t> first_;  // node n's instances: [first_[n], first_[n + 1])
  std::vector<double> node_phase_, phase_;
};

// Probes run applications named ProbeApp(k): kProbeApps names in turn, each
// with a small policy in the workload's document.
inline constexpr int kProbeApps = 8;
std::string ProbeApp(int k);

// A change followed through the pool.
struct Probe {
  std::string app;
  size_t node = 0;
  TimePoint start, until;            // it runs on the node in [start, until)
  std::optional<TimePoint> at_top;   // figures: first in the representative's whole
  std::vector<TimePoint> heard;      // per node, when its planning input first had it (max: never)
};

// One node's planner, either way.
class PlanningNode {
 public:
  virtual ~PlanningNode() = default;
  virtual void Tick() = 0;     // after the node's gossip tick
  virtual void Changed() = 0;  // its applications changed (a probe)
  // Its row as it would plan it now.
  virtual Row PlanNow(TimePoint now) = 0;
  // Its roll-up (figures; null for statuses).
  virtual const gossip::Rollup* rollup() const { return nullptr; }
};

class PlanningPool {
 public:
  // levels_down: levels go down the roll-up tree, and on the levels
  // channel once a second (the engine's way); else on the channel only,
  // every gossip period.
  PlanningPool(gossip::SimPool& pool, const PlanWorkload& workload, PlanFrom from, const gossip::RollupConfig& rollup,
               bool levels_down);
  ~PlanningPool();

  // A probe application at node n for four seconds from now.
  void StartProbe(size_t n);
  gossip::SimPool& pool() { return pool_; }
  const PlanWorkload& workload() const { return workload_; }
  PlanningNode& node(size_t n) { return *nodes_[n]; }
  const std::map<int, Probe>& probes() const { return probes_; }
  // Node n's instances now, its probes included.
  std::vector<policy::PlanInstance> Own(size_t n, TimePoint t) const;

  // Figures: the representative published levels (of this size) from a whole.
  void Published(const std::string& levels, const policy::PoolFigures& whole);
  // Figures: node n now plans from these levels.
  void HeardLevels(size_t n, const policy::PoolLevels& levels);
  // Statuses: node n's view shows a probe's application running.
  void HeardProbe(size_t n, const std::string& app);
  const std::vector<double>& levels_bytes() const { return levels_bytes_; }
  uint64_t levels_too_large = 0, parts_refused = 0;

 private:
  gossip::SimPool& pool_;
  const PlanWorkload& workload_;
  std::map<int, Probe> probes_;
  std::vector<PlanningNode*> nodes_;  // owned by the pool's components
  int next_probe_ = 0;
  std::vector<double> levels_bytes_;
};

}  // namespace shoal::sim
