#include "daemon/engine/pipe_replay.h"

#include <algorithm>
#include <map>

#include "core/squeeze.h"
#include "daemon/engine/pipe_period.h"

namespace shoal::engine {
namespace {

constexpr Duration kInterval = std::chrono::seconds(1);

// One period's figures of an application on a lane, added to `o`.
void AddPeriod(PipeOutcome& o, double booked, double credit, double demand, double met, bool short_of) {
  ++o.periods;
  o.booked += booked;
  o.credit += credit;
  o.demand += demand;
  o.met += met;
  o.short_periods += short_of ? 1 : 0;
}

size_t SlotOf(const policy::PolicyDocument& doc, const std::string& app) {
  for (size_t i = 0; i < doc.applications.size(); ++i) {
    if (doc.applications[i].name == app) return i;
  }
  return doc.applications.size();  // the rogue slot
}

}  // namespace

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
  // What the pool recorded, per application.
  std::map<std::string, std::array<double, 4>> was;  // booked, credit, demand, met
  std::map<std::string, bool> was_short;
  for (const auto& s : recorded.shares) {
    auto& w = was[s.app];
    w[0] += s.booking, w[1] += s.allocation, w[2] += s.demand, w[3] += std::min(s.demand, s.allocation);
    was_short[s.app] = was_short[s.app] || IsSqueezed(s.demand, s.usage, s.allocation);
  }
  for (const auto& [app, w] : was) AddPeriod(Entry(name, app).recorded, w[0], w[1], w[2], w[3], was_short[app]);
  // The draft's division of the same demand.
  bwman::RoundInput in;
  in.interval_bytes = PerInterval(lane.capacity, kInterval);
  in.immediate_share = lane.immediate_share;
  in.apps = TermsInForce(lane, draft_, effective, kInterval);
  std::map<NodeId, size_t> row;
  for (const auto& s : edited.shares) {
    auto [it, fresh] = row.try_emplace(s.node, in.demand.size());
    if (fresh) in.demand.emplace_back(in.apps.size(), 0);
    in.demand[it->second][SlotOf(draft_, s.app)] += static_cast<uint64_t>(std::max(0.0, s.demand));
  }
  const bwman::Round round = bwman::DivideRound(in);
  std::vector<std::array<double, 4>> now(in.apps.size());
  std::vector<bool> now_short(in.apps.size());
  for (size_t n = 0; n < in.demand.size(); ++n) {
    const auto credits = round.AppCredits(n);
    for (size_t slot = 0; slot < in.apps.size(); ++slot) {
      const double demand = static_cast<double>(in.Demand(n, slot));
      const double credit = static_cast<double>(credits[slot].booked + credits[slot].unbooked);
      auto& x = now[slot];
      x[0] += static_cast<double>(credits[slot].booked), x[1] += credit, x[2] += demand, x[3] += std::min(demand, credit);
      now_short[slot] = now_short[slot] || IsSqueezed(demand, 0, credit);
    }
  }
  for (size_t slot = 0; slot < in.apps.size(); ++slot) {
    if (now[slot][2] <= 0 && now[slot][0] <= 0) continue;
    const auto& x = now[slot];
    AddPeriod(Entry(name, SlotName(draft_, slot)).replayed, x[0], x[1], x[2], x[3], now_short[slot]);
  }
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
