#include "daemon/engine/pipe_replay.h"

#include <algorithm>
#include <map>

#include "core/squeeze.h"
#include "daemon/engine/pipe_period.h"

namespace shoal::engine {
namespace {

constexpr Duration kInterval = std::chrono::seconds(1);

}  // namespace

// One period's figures of an application on a lane: its nodes' parts summed.
struct LaneSum {
  double booked = 0, credit = 0, demand = 0, met = 0;
  bool short_of = false;  // some node's part wanted more than its credit
  void Add(double b, double c, double d, double usage) {
    booked += b, credit += c, demand += d, met += std::min(d, c);
    short_of = short_of || IsSqueezed(d, usage, c);
  }
  void Into(PipeOutcome& o) const {
    ++o.periods;
    o.booked += booked, o.credit += credit, o.demand += demand, o.met += met;
    o.short_periods += short_of ? 1 : 0;
  }
};

Result<PipeReplay> PipeReplay::Create(const policy::PolicyDocument& draft, policy::PoolEdits edits,
                                      const std::string& zoneinfo) {
  auto schedule = policy::ScheduleEvaluator::Create(draft, zoneinfo);
  if (!schedule.ok()) return schedule.error();
  return PipeReplay(draft, std::move(*schedule), std::move(edits));
}

PipeReplay::PipeReplay(policy::PolicyDocument draft, policy::ScheduleEvaluator schedule, policy::PoolEdits edits)
    : draft_(std::move(draft)), schedule_(std::move(schedule)), edits_(std::move(edits)), lanes_(DocumentLanes(draft_)) {}

LaneAppReplay& PipeReplay::Entry(const std::string& lane, const std::string& app) {
  auto key = std::tie(lane, app);
  auto it = std::lower_bound(report_.begin(), report_.end(), key,
                             [](const LaneAppReplay& e, const auto& k) { return std::tie(e.lane, e.app) < k; });
  if (it == report_.end() || std::tie(it->lane, it->app) != key) {
    LaneAppReplay fresh;
    fresh.lane = lane;
    fresh.app = app;
    it = report_.insert(it, std::move(fresh));
  }
  return *it;
}

void PipeReplay::AddLane(const Lane& lane, const policy::RecordedLane& recorded, const policy::RecordedLane& edited,
                         const std::vector<policy::EffectivePolicy>& effective) {
  const std::string name = LaneSeriesName(lane.id);
  std::map<std::string, LaneSum> was;  // what the pool recorded, per application
  for (const auto& s : recorded.shares) was[s.app].Add(s.booking, s.allocation, s.demand, s.usage);
  for (const auto& [app, sum] : was) sum.Into(Entry(name, app).recorded);
  const std::vector<LaneSum> now = Divide(lane, edited, effective);
  for (size_t slot = 0; slot < now.size(); ++slot) {
    if (now[slot].demand > 0 || now[slot].booked > 0) now[slot].Into(Entry(name, SlotName(draft_, slot)).replayed);
  }
}

std::vector<LaneSum> PipeReplay::Divide(const Lane& lane, const policy::RecordedLane& shares,
                                        const std::vector<policy::EffectivePolicy>& effective) const {
  bwman::RoundInput in;
  in.interval_bytes = PerInterval(lane.capacity, kInterval);
  in.immediate_share = lane.immediate_share;
  in.apps = TermsInForce(lane, draft_, effective, kInterval);
  std::map<NodeId, size_t> row;
  for (const auto& s : shares.shares) {
    auto [it, fresh] = row.try_emplace(s.node, in.demand.size());
    if (fresh) in.demand.emplace_back(in.apps.size(), 0);
    in.demand[it->second][SlotOf(draft_, s.app)] += static_cast<uint64_t>(std::max(0.0, s.demand));
  }
  const bwman::Round round = bwman::DivideRound(in);
  std::vector<LaneSum> out(in.apps.size());
  for (size_t n = 0; n < in.demand.size(); ++n) {
    const auto credits = round.AppCredits(n);
    for (size_t slot = 0; slot < in.apps.size(); ++slot) {
      const double demand = static_cast<double>(in.Demand(n, slot));
      out[slot].Add(static_cast<double>(credits[slot].booked),
                    static_cast<double>(credits[slot].booked + credits[slot].unbooked), demand, 0);
    }
  }
  return out;
}

void PipeReplay::Add(const policy::RecordedPeriod& period) {
  if (lanes_.empty() || period.lanes.empty()) return;
  const policy::RecordedPeriod edited = edits_.empty() ? period : policy::Edit(period, edits_);
  const auto effective = schedule_.Evaluate(period.time_ms / 1000, {period.failed_nodes});
  for (const Lane& lane : lanes_) {
    for (size_t k = 0; k < period.lanes.size(); ++k) {
      const auto& r = period.lanes[k];
      if (r.pipe == lane.id.pipe && r.direction == lane.id.direction) AddLane(lane, r, edited.lanes[k], effective);
    }
  }
}

}  // namespace shoal::engine
