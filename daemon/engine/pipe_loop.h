// The pipe loop of one node (DESIGN.md section 5). Credit rounds (default
// 100 ms) are numbered by the wall clock, so every node starts round r at
// the same moment. At the start of round r it
//
//   1. reads its classes' counters through the enforcer seam and estimates
//      each application's demand on each lane it carries (bwman/demand.h);
//   2. publishes them on the pipe channel (pipe_demand.h) when they changed,
//      and at least every refresh_rounds;
//
// and divide_after later, when the figures have spread, it
//
//   3. divides from every node's latest figures up to round r (the same
//      figures on every node, so the credits add up to the lane's
//      capacity; bwman/pipe_round.h) and applies its own row: the node's
//      class at its credit, each application's class at its part,
//      borrowing up to the node's credit.
//
// Each sampling period the engine takes what the lanes did (pipe_period.h)
// for the history; the next figures published carry it for the pool-wide
// view.
//
// A node that sees fewer carriers of a lane than it saw in the last
// view_memory (a partition, or alone) divides only their share of the
// capacity (seen / expected), so that the parts of a split pool add up to
// at most the capacity; before it has figures of its own it takes
// capacity / expected.
//
// Every round also gives each node its static share: its part of the
// bookings plus an equal part of what the bookings leave. The enforcer
// makes the node's classes fall back to it if the daemon dies (a guard
// process), the node publishes it, and while the membership says the node
// is failed (until it is reaped) the others keep it aside. In monitor mode
// the classes only count. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bwman/demand.h"
#include "core/clock.h"
#include "core/log_limit.h"
#include "daemon/engine/pipe_enforcer.h"
#include "daemon/engine/pipe_figures.h"
#include "daemon/engine/pipe_lanes.h"
#include "daemon/engine/pipe_period.h"

namespace shoal::engine {

struct PipeOptions {
  Duration interval = std::chrono::milliseconds(100);
  // How long after a round starts it is divided: time for its figures to
  // reach every node (the exchange's p99 at the pool's size).
  Duration divide_after = std::chrono::milliseconds(60);
  int refresh_rounds = 10;  // unchanged figures are published again this often
  int stale_rounds = 25;    // a node whose latest figure is older takes no part
  Duration view_memory = std::chrono::seconds(10);
  bwman::DemandOptions demand;
};

// What this node computed for one lane in the last round.
struct LaneState {
  Lane lane;
  uint64_t round = 0;
  size_t participants = 0;  // nodes whose figures were divided
  size_t expected = 0;      // the most seen within view_memory
  bool own_figures = false; // this node's own were among them
  uint64_t node_credit = 0; // bytes in the round (at least one frame)
  uint64_t fallback = 0;    // bytes per round: its static share
  uint64_t reserved = 0;    // bytes per round kept aside for failed carriers
  uint64_t unqueued = 0;    // bytes of the round nobody queued
  std::vector<uint64_t> booking_left;  // by slot: booked bytes the pool left unclaimed
  std::vector<uint64_t> demand;       // by slot: this node's published demand
  std::vector<bwman::ClassInterval> last;  // by slot: what the class did in the last round
  std::vector<bwman::Credit> credit;  // by slot
  std::vector<bwman::AppTerms> terms; // by slot, in force
};

class PipeLoop {
 public:
  // `enforcer` may be null: this node carries no pipe.
  PipeLoop(NodeId self, Clock& clock, const WallClock& wall, std::unique_ptr<PipeEnforcer> enforcer,
           PipeOptions options);

  // Which nodes the membership holds failed (not left, not reaped yet).
  void SetFailedCheck(std::function<bool(NodeId)> failed) { failed_ = std::move(failed); }
  const std::function<bool(NodeId)>& failed_check() const { return failed_; }
  // A new document (null: none); its lanes this node does not carry are
  // reported once.
  void SetDocument(const policy::PolicyDocument* doc, const std::string& version_text);
  // The local instances' ports, each sample: handed to the enforcer when
  // they changed.
  void SetPorts(const std::vector<LocalInstance>& local);
  // The channel's subscriber and publisher.
  void Update(const gossip::ChannelView& channel) { figures_.Update(channel); }
  std::optional<std::string> Publish() { return std::exchange(pending_, std::nullopt); }
  // Once per tick; at a new round reads, publishes, divides and applies.
  // `effective` is called at most once per round.
  void Tick(const std::function<std::vector<policy::EffectivePolicy>()>& effective, bool enforce);
  // Hands the interfaces back (a clean stop).
  void Release();
  // What the lanes did since the last call, as the history's series; the
  // next figures published carry it (bytes per second sent and allocated).
  std::vector<store::SeriesSample> TakePeriod();

  bool active() const { return enforcer_ != nullptr; }
  const PipeOptions& options() const { return options_; }
  const std::vector<LaneState>& lanes() const { return state_; }
  const PipeFigures& figures() const { return figures_; }

 private:
  struct Previous {
    ClassCounters counters;
    uint64_t limit = 0;  // bytes per round it was allowed (0: unlimited)
  };
  void Measure(const std::vector<LaneCounters>& counters);
  void Estimate();
  void PublishOwn();
  LaneSetting Divide(LaneState& lane, uint64_t round, bool enforce);
  void LogError(const Error& e);
  void HandBackAll();
  void Remember(LaneState& lane, size_t participants);
  LaneSetting Setting(const LaneState& lane, bool enforce);
  void AddToPeriod(const LaneState& lane);
  static bool SameClaims(const PipeDemand& a, const PipeDemand& b);
  void SetFallback(LaneState& lane, const bwman::Round& r, size_t self);
  void ApplyFallback(bool enforce);
  void TraceRound(const LaneState& lane, const bwman::RoundInput& in) const;

  NodeId self_;
  Clock& clock_;
  const WallClock& wall_;
  std::unique_ptr<PipeEnforcer> enforcer_;
  PipeOptions options_;
  std::optional<policy::PolicyDocument> doc_;
  uint64_t digest_ = 0;
  std::vector<LaneState> state_;  // the carried lanes
  std::map<std::pair<uint32_t, size_t>, Previous> previous_;  // by lane and slot
  std::map<uint32_t, std::pair<size_t, TimePoint>> expected_;  // by lane: most seen, when
  PipeFigures figures_;
  PipePeriod period_;
  std::function<bool(NodeId)> failed_ = [](NodeId) { return false; };
  std::optional<std::vector<LaneSetting>> fallback_;  // as the enforcer last had it
  std::vector<AppPorts> ports_;                       // as the enforcer last had them
  std::map<uint32_t, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> period_figures_;  // by lane: used, allocated
  TimePoint measured_at_{};  // the counters' last reading
  uint64_t round_ = 0;    // measured
  uint64_t divided_ = 0;  // divided
  PipeDemand published_;
  uint64_t published_round_ = 0;
  uint64_t period_round_ = 0;  // the last publication with the period figures
  std::optional<std::string> pending_;
  LogLimit errors_;
};

}  // namespace shoal::engine
