#include "policy/replay.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/squeeze.h"

namespace shoal::policy {
namespace {

const PlanNode* NodeNamed(const RecordedPeriod& p, const std::string& name) {
  auto it = std::find_if(p.nodes.begin(), p.nodes.end(), [&](const PlanNode& n) { return n.name == name; });
  return it == p.nodes.end() ? nullptr : &*it;
}

// Allocated less than the smaller of its demand and its booking, beyond noise.
bool ShortOfBooking(double demand, double booking, double allocation) {
  return IsSqueezed(std::min(demand, booking), 0, allocation);
}

void KeepTime(std::vector<int64_t>& times, int64_t t) {
  if (times.size() < kMaxTimesKept) times.push_back(t);
}

// One period's instances of one application, summed into `o`.
struct PeriodSum {
  Outcome o;
  bool squeezed = false, short_of_booking = false;
  void Add(double demand, double usage, double booking, double allocation) {
    o.booked += booking;
    o.allocated += allocation;
    o.demand += demand;
    o.usage += usage;
    o.met += std::min(demand, allocation);
    o.idle_booked += std::max(0.0, booking - usage);
    squeezed = squeezed || IsSqueezed(demand, usage, allocation);
    short_of_booking = short_of_booking || ShortOfBooking(demand, booking, allocation);
  }
  void Into(Outcome& total) const {
    ++total.periods;
    total.booked += o.booked;
    total.allocated += o.allocated;
    total.demand += o.demand;
    total.usage += o.usage;
    total.met += o.met;
    total.idle_booked += o.idle_booked;
    total.squeezed += squeezed ? 1 : 0;
    total.short_of_booking += short_of_booking ? 1 : 0;
  }
};

// The entry of `v` (sorted by name) named `name`, added if missing.
template <typename T>
T& Named(std::vector<T>& v, const std::string& name) {
  auto it = std::lower_bound(v.begin(), v.end(), name, [](const T& a, const std::string& n) { return a.name < n; });
  if (it == v.end() || it->name != name) {
    T fresh;
    fresh.name = name;
    it = v.insert(it, std::move(fresh));
  }
  return *it;
}

}  // namespace

Result<AppMove> ParseMove(const std::string& text) {
  const size_t a = text.find(':'), b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos || text.find(':', b + 1) != std::string::npos) {
    return MakeError("--move '{}': give APP:FROM:TO, e.g. web:node-3:node-7", text);
  }
  AppMove m{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  if (m.app.empty() || m.from.empty() || m.to.empty()) {
    return MakeError("--move '{}': the application, the node it leaves and the node it joins must all be named", text);
  }
  if (m.from == m.to) return MakeError("--move '{}': the application would stay on {}", text, m.from);
  return m;
}

void Replay::NoteNamed(const RecordedPeriod& period) {
  if (edits_.empty()) return;
  auto note = [](const std::string& name, const std::set<std::string>& named, std::set<std::string>& seen) {
    if (named.count(name)) seen.insert(name);
  };
  for (const auto& n : period.nodes) note(n.name, named_nodes_, seen_nodes_);
  for (const auto& i : period.instances) note(i.app, named_apps_, seen_apps_);
}

Status Replay::CheckEdits() const {
  const PoolEdits& edits = edits_;
  auto known = [&](const std::string& name, const char* option) -> Status {
    if (seen_nodes_.count(name)) return Status::Ok();
    return MakeError("{} {}: no such node has figures in the period", option, name);
  };
  for (const auto& n : edits.without_nodes) {
    if (auto s = known(n, "--without-node"); !s.ok()) return s;
  }
  for (const auto& n : edits.only_nodes) {
    if (auto s = known(n, "--nodes"); !s.ok()) return s;
  }
  for (const auto& m : edits.moves) {
    if (!seen_apps_.count(m.app)) return MakeError("--move {}: no such application has figures in the period", m.app);
    if (auto s = known(m.from, "--move"); !s.ok()) return s;
    if (auto s = known(m.to, "--move"); !s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

// `app`'s row on node `from` of `rows` (instances or pipe shares) joins its
// row on `to`, made if missing.
template <typename Row>
void MoveRow(std::vector<Row>& rows, const std::string& app, NodeId from, NodeId to) {
  auto on = [&](NodeId node) {
    return std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.app == app && r.node == node; });
  };
  auto leaving = on(from);
  if (leaving == rows.end()) return;
  Row moved = *leaving;
  rows.erase(leaving);
  if (auto joining = on(to); joining != rows.end()) {
    joining->demand += moved.demand;
    joining->usage += moved.usage;
  } else {
    moved.node = to;
    moved.booking = moved.allocation = 0;
    rows.push_back(std::move(moved));
  }
}

}  // namespace

RecordedPeriod Edit(const RecordedPeriod& period, const PoolEdits& edits) {
  RecordedPeriod out = period;
  // Moves first, so that demand moved off a node that then leaves still counts.
  for (const auto& m : edits.moves) {
    const PlanNode* from = NodeNamed(out, m.from);
    const PlanNode* to = NodeNamed(out, m.to);
    if (!from || !to) continue;  // the demand stays where it was recorded
    MoveRow(out.instances, m.app, from->id, to->id);
    for (auto& lane : out.lanes) MoveRow(lane.shares, m.app, from->id, to->id);
  }
  std::vector<std::string> gone_names = edits.without_nodes;
  if (!edits.only_nodes.empty()) {
    for (const auto& n : out.nodes) {
      if (std::find(edits.only_nodes.begin(), edits.only_nodes.end(), n.name) == edits.only_nodes.end()) {
        gone_names.push_back(n.name);
      }
    }
  }
  for (const auto& name : gone_names) {
    const PlanNode* gone = NodeNamed(out, name);
    if (!gone) continue;
    const NodeId id = gone->id;
    std::erase_if(out.instances, [&](const RecordedInstance& i) { return i.node == id; });
    for (auto& lane : out.lanes) std::erase_if(lane.shares, [&](const RecordedPipeShare& s) { return s.node == id; });
    std::erase_if(out.nodes, [&](const PlanNode& n) { return n.id == id; });
  }
  return out;
}

Result<Replay> Replay::Create(const PolicyDocument& draft, PoolEdits edits, const std::string& zoneinfo) {
  auto schedule = ScheduleEvaluator::Create(draft, zoneinfo);
  if (!schedule.ok()) return schedule.error();
  return Replay(std::move(*schedule), std::move(edits));
}

Replay::Replay(ScheduleEvaluator schedule, PoolEdits edits) : schedule_(std::move(schedule)), edits_(std::move(edits)) {
  named_nodes_.insert(edits_.without_nodes.begin(), edits_.without_nodes.end());
  named_nodes_.insert(edits_.only_nodes.begin(), edits_.only_nodes.end());
  for (const auto& m : edits_.moves) {
    named_nodes_.insert({m.from, m.to});
    named_apps_.insert(m.app);
  }
}

CpuPlan Replay::PlanEdited(const RecordedPeriod& period) const {
  PlanInput in;
  in.nodes = period.nodes;
  in.instances.reserve(period.instances.size());
  for (const auto& i : period.instances) in.instances.push_back({i.app, i.node, i.demand, i.usage});
  in.policies = ToPlannerPolicies(schedule_.Evaluate(period.time_ms / 1000, {period.failed_nodes}));
  return PlanCpu(in);
}

CpuPlan Replay::Plan(const RecordedPeriod& period) const {
  return edits_.empty() ? PlanEdited(period) : PlanEdited(Edit(period, edits_));
}

void Replay::AddRecorded(const RecordedPeriod& period) {
  std::map<std::string, PeriodSum> sums;
  for (const auto& i : period.instances) sums[i.app].Add(i.demand, i.usage, i.booking, i.allocation);
  for (const auto& [name, sum] : sums) sum.Into(Named(report_.apps, name).recorded);
}

void Replay::AddReplayed(const RecordedPeriod& period, const CpuPlan& plan) {
  std::vector<PeriodSum> sums(plan.apps.size());
  for (const auto& i : plan.instances) sums[i.app].Add(i.demand, i.usage, i.booking, i.allocation);
  double requested = 0;
  for (size_t a = 0; a < plan.apps.size(); ++a) {
    const AppPlan& app = plan.apps[a];
    if (app.instances.empty()) continue;
    AppReplay& r = Named(report_.apps, app.name);
    sums[a].Into(r.replayed);
    r.policy = app.policy;
    if (app.unmet()) {
      ++r.unmet_periods;
      KeepTime(r.unmet_times, period.time_ms);
    }
    requested += app.requested;
  }
  for (const auto& node : plan.nodes) {
    double wanted = 0;
    for (size_t i = node.first; i < node.first + node.count; ++i) {
      wanted += std::max(plan.instances[i].booking, plan.instances[i].demand);
    }
    NodeReplay& n = Named(report_.nodes, node.name);
    const double headroom = node.capacity - wanted;
    n.min_headroom = n.periods == 0 ? headroom : std::min(n.min_headroom, headroom);
    ++n.periods;
    n.capacity += node.capacity;
    n.headroom += headroom;
  }
  if (plan.pool_capacity > 0 && requested > plan.pool_capacity * 1.0001) {
    ++report_.overbooked_periods;
    KeepTime(report_.overbooked_times, period.time_ms);
    report_.worst_overbooking = std::max(report_.worst_overbooking, requested / plan.pool_capacity);
  }
}

void Replay::Add(const RecordedPeriod& period) {
  if (report_.periods == 0) report_.first_ms = period.time_ms;
  report_.first_ms = std::min(report_.first_ms, period.time_ms);
  report_.last_ms = std::max(report_.last_ms, period.time_ms);
  ++report_.periods;
  NoteNamed(period);
  AddRecorded(period);
  AddReplayed(period, Plan(period));
}

}  // namespace shoal::policy
