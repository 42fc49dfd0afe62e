// Replay of recorded pipe demand under a draft (the CPU side:
// policy/replay.h): in each recorded period, every node's per-application
// demand on each pipe direction of the draft is divided as the pipe loop
// divides a credit interval (pipe_lanes.h's lanes and terms in force at
// the period's time, bwman::DivideRound), one-second intervals since the
// figures are bytes per second; what each application would have been
// credited sits beside what the pool recorded. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "daemon/engine/pipe_lanes.h"
#include "policy/replay.h"
#include "policy/schedule.h"

namespace shoal::engine {

// An application's figures on a pipe direction, summed over the periods it
// had traffic in (bytes per second; divide by `periods`).
struct PipeOutcome {
  size_t periods = 0;
  double booked = 0, credit = 0, demand = 0, met = 0;
  size_t short_periods = 0;  // its demand over its credit (core/squeeze.h)
  double MetFraction() const { return demand > 0 ? met / demand : 1; }
};

struct LaneAppReplay {
  std::string lane;  // "uplink/out"
  std::string app;
  PipeOutcome replayed, recorded;
};

struct LaneSum;  // pipe_replay.cc

class PipeReplay {
 public:
  static Result<PipeReplay> Create(const policy::PolicyDocument& draft, policy::PoolEdits edits = {},
                                   const std::string& zoneinfo = "/usr/share/zoneinfo");
  void Add(const policy::RecordedPeriod& period);
  // By lane, then application.
  const std::vector<LaneAppReplay>& report() const { return report_; }

 private:
  PipeReplay(policy::PolicyDocument draft, policy::ScheduleEvaluator schedule, policy::PoolEdits edits);
  void AddLane(const Lane& lane, const policy::RecordedLane& recorded, const policy::RecordedLane& edited,
               const std::vector<policy::EffectivePolicy>& effective);
  // The draft's division of `shares`' demand, per slot.
  std::vector<LaneSum> Divide(const Lane& lane, const policy::RecordedLane& shares,
                              const std::vector<policy::EffectivePolicy>& effective) const;
  LaneAppReplay& Entry(const std::string& lane, const std::string& app);

  policy::PolicyDocument draft_;
  policy::ScheduleEvaluator schedule_;
  policy::PoolEdits edits_;
  std::vector<Lane> lanes_;
  std::vector<LaneAppReplay> report_;
};

}  // namespace shoal::engine
