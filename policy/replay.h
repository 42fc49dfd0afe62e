// Replay of recorded demand: the pool's periods as history recorded them
// (each node's capacity, each instance's demand, usage, booking and
// allocation) planned again under a policy document, period by period, with
// the planner the daemons run (policy/cpu_planner.h) and the policies in
// force at each period's time (policy/schedule.h: its windows, and its
// failure adjustments with the period's failed nodes). The pool may be
// edited first: nodes taken out, an application's demand moved from one
// node to another. What the replay finds sits next to what the pool really
// had in the same periods. Pure functions on values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/cpu_planner.h"
#include "policy/model.h"
#include "policy/schedule.h"

namespace shoal::policy {

// An application's instance in one recorded period (millicores, averages
// over the period's samples).
struct RecordedInstance {
  std::string app;
  NodeId node;
  double demand = 0, usage = 0;
  double booking = 0, allocation = 0;  // what the pool's plan gave it then
};

// An application's traffic on one node's side of a pipe direction, in one
// recorded period (bytes per second, averages).
struct RecordedPipeShare {
  std::string app;
  NodeId node;
  double demand = 0, usage = 0;
  double booking = 0, allocation = 0;  // its booked bytes and its credit then
};

struct RecordedLane {
  std::string pipe;
  Direction direction = Direction::kOut;
  std::vector<RecordedPipeShare> shares;
};

struct RecordedPeriod {
  int64_t time_ms = 0;
  std::vector<PlanNode> nodes;  // the nodes with figures in the period
  std::vector<RecordedInstance> instances;
  std::vector<RecordedLane> lanes;  // pipe directions with traffic recorded
  int failed_nodes = 0;  // nodes seen before in the window, silent in this period
};

// "web:node-3:node-7": web's demand and usage on node-3 (CPU and pipes)
// join its instance on node-7 (made if it has none there).
struct AppMove {
  std::string app, from, to;
};

struct PoolEdits {
  std::vector<std::string> only_nodes;     // node names; empty: every node
  std::vector<std::string> without_nodes;  // node names
  std::vector<AppMove> moves;
  bool empty() const { return only_nodes.empty() && without_nodes.empty() && moves.empty(); }
};

// "APP:FROM:TO"; the error names the text.
Result<AppMove> ParseMove(const std::string& text);
RecordedPeriod Edit(const RecordedPeriod& period, const PoolEdits& edits);

// One application's figures summed over the periods it had instances in
// (divide by `periods` for averages).
struct Outcome {
  size_t periods = 0;
  double booked = 0, allocated = 0, demand = 0, usage = 0;
  double met = 0;          // demand served: per instance min(demand, allocation)
  double idle_booked = 0;  // booked capacity it did not use
  size_t squeezed = 0;     // periods with an instance squeezed (core/squeeze.h)
  size_t short_of_booking = 0;  // periods allocated less than min(demand, booking)
  double MetFraction() const { return demand > 0 ? met / demand : 1; }
};

inline constexpr size_t kMaxTimesKept = 20;

struct AppReplay {
  std::string name;
  std::optional<CpuPolicy> policy;  // under the draft, at the last period it had instances
  Outcome replayed, recorded;
  size_t unmet_periods = 0;           // its booking could not be met (AppPlan::unmet)
  std::vector<int64_t> unmet_times;   // the first kMaxTimesKept of them
};

struct NodeReplay {
  std::string name;
  size_t periods = 0;
  double capacity = 0;  // summed over its periods
  // Capacity less what its instances booked or wanted (the larger of the
  // two): summed over its periods, and the lowest period's.
  double headroom = 0, min_headroom = 0;
};

struct ReplayReport {
  size_t periods = 0;
  int64_t first_ms = 0, last_ms = 0;
  std::vector<AppReplay> apps;    // by name
  std::vector<NodeReplay> nodes;  // by name
  // Periods in which the draft's requests exceeded the pool's capacity.
  size_t overbooked_periods = 0;
  std::vector<int64_t> overbooked_times;  // the first kMaxTimesKept
  double worst_overbooking = 0;           // requested / capacity, at its highest
};

class Replay {
 public:
  // `draft`'s schedules' zones are loaded from `zoneinfo`.
  static Result<Replay> Create(const PolicyDocument& draft, PoolEdits edits = {},
                               const std::string& zoneinfo = "/usr/share/zoneinfo");

  // The plan the daemons would have made in `period` (after the edits).
  CpuPlan Plan(const RecordedPeriod& period) const;
  // Plans `period` and adds it to the report.
  void Add(const RecordedPeriod& period);
  const ReplayReport& report() const { return report_; }
  // After the periods: every node and application the edits name had
  // figures in some period; the error names the one that had none.
  Status CheckEdits() const;

 private:
  Replay(ScheduleEvaluator schedule, PoolEdits edits);
  void NoteNamed(const RecordedPeriod& period);
  CpuPlan PlanEdited(const RecordedPeriod& period) const;
  void AddRecorded(const RecordedPeriod& period);
  void AddReplayed(const RecordedPeriod& period, const CpuPlan& plan);

  ScheduleEvaluator schedule_;
  PoolEdits edits_;
  ReplayReport report_;
  std::set<std::string> named_nodes_, named_apps_;  // by the edits
  std::set<std::string> seen_nodes_, seen_apps_;    // of those, the ones with figures
};

}  // namespace shoal::policy
