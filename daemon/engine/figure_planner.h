// Planning this node's CPU row from the pool's figures (policy/row_planner.h)
// instead of every node's status: the engine's way for pools of thousands
// (issue 26; EngineConfig::planning). The roll-up
// (gossip/rollup.h) carries this node's part of the figures up; the node
// representing the pool derives the levels under its policies in force and
// sends them down the roll-up tree (every node whose part is held hears
// each version in milliseconds) and publishes them on the levels channel
// once a second (for the nodes the tree misses: levels_inbox.h); every
// node plans its row from the levels that its own tree's representative
// published. Levels travel
// without policies and are decoded with this node's own, so a node on
// another document for a moment plans its own document's applications.
// Not thread-safe; one thread with the Gossiper.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log_limit.h"
#include "daemon/engine/levels_inbox.h"
#include "gossip/rollup.h"
#include "policy/row_planner.h"

namespace shoal::engine {

// How often the levels channel is asked and read: the way levels reach
// the nodes the roll-up tree misses.
inline constexpr Duration kLevelsChannelPeriod = std::chrono::seconds(1);

struct FigureCounters {
  uint64_t levels_heard = 0;      // new levels from the pool's representative
  uint64_t levels_refused = 0;    // did not decode
  uint64_t totals_refused = 0;    // the pool's totals did not decode
  uint64_t levels_published = 0;  // by this node, representing the pool
  uint64_t levels_too_large = 0;  // over a gossip entry: not published
  uint64_t parts_refused = 0;     // children's parts that did not decode
};

class FigurePlanner {
 public:
  // REQUIRES: the references outlive this object. Serves the roll-up on
  // `streams`; Register() adds the levels channel.
  FigurePlanner(const gossip::RollupConfig& config, gossip::Gossiper& gossiper, gossip::PeerStreams& streams,
                Clock& clock);
  Status Register();

  // This node's row from the last levels heard (before any: nothing is
  // booked), under the policies in force; its part of the figures goes up
  // with the following ticks, unless `settling` (node_status.h: its
  // instances are not measured yet since it started): the pool then goes
  // on planning as it did without it, and moves once, when its measured
  // part comes, as peers planning from statuses do with its last settled
  // status.
  policy::RowPlan Plan(const policy::PlanNode& self, std::span<const policy::PlanInstance> own,
                       std::vector<policy::CpuPolicy> policies, const policy::PlannerOptions& options,
                       bool settling);
  // After the gossiper's tick; the first one (also after Stop) reads the
  // levels the pool holds.
  void Tick();
  // New levels came since the last Plan.
  bool fresh() const { return fresh_; }
  // Levels were heard since this planner started (or last stopped).
  bool heard() const { return !inbox_.bytes().empty(); }
  // The levels the last Plan read (the pool's side of the plan: every
  // application with a policy, its entitlement and its pool-wide totals);
  // null before any.
  const policy::PoolLevels* levels() const { return levels_ ? &*levels_ : nullptr; }
  // The node plans from statuses again: forgets the levels heard and
  // withdraws those it published; Tick() starts it again.
  void Stop();
  const gossip::Rollup& rollup() const { return rollup_; }
  // The pool's figures as last handed over (figures_codec.h), while this
  // node represents the pool; else empty.
  const std::string& whole() const { return whole_; }
  const FigureCounters& counters() const { return counters_; }

 private:
  void OnWhole(const std::string& whole);
  void OnLevels(const gossip::ChannelView& view);
  void Heard(bool fresh);
  // What this node publishes on a channel (empty: nothing, or withdrawn).
  struct Outbox {
    std::string bytes;
    bool changed = false;
    std::optional<std::string> Take();
    void Set(std::string b);
  };

  gossip::Gossiper& gossiper_;
  Clock& clock_;
  gossip::Rollup rollup_;
  std::vector<policy::CpuPolicy> policies_;  // as of the last Plan
  policy::PlannerOptions options_;
  LevelsNumbering numbering_;  // the levels this node publishes, representing the pool
  LevelsInbox inbox_;          // the levels planned from, as published
  std::string whole_;    // the pool's figures, representing the pool
  std::optional<policy::PoolLevels> levels_;  // decoded from inbox_ by the last Plan
  bool fresh_ = false;
  bool stopped_ = true;  // until the first Tick, and after Stop
  Outbox levels_out_, totals_out_;
  std::string totals_;  // the pool's totals as published by its representative
  FigureCounters counters_;
  LogLimit too_large_log_{std::chrono::minutes(1)};
};

}  // namespace shoal::engine
