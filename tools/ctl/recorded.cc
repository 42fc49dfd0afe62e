#include "tools/ctl/recorded.h"

#include <algorithm>
#include <map>
#include <set>

#include "store/scan.h"
#include "tools/ctl/cli.h"

namespace shoal::ctl {
namespace {

// Points per answer that keep it well under the control protocol's limits.
constexpr size_t kSlicePoints = 200'000;
constexpr int64_t kFirstSliceBuckets = 16;

// "uplink/out/web" as the lane's pipe and direction and the application.
bool SplitPipeSeries(const std::string& series, std::string& pipe, policy::Direction& dir, std::string& app) {
  const size_t a = series.find('/'), b = a == std::string::npos ? a : series.find('/', a + 1);
  if (b == std::string::npos) return false;  // the lane's own series
  const std::string d = series.substr(a + 1, b - a - 1);
  if (d != "in" && d != "out") return false;
  pipe = series.substr(0, a);
  dir = d == "in" ? policy::Direction::kIn : policy::Direction::kOut;
  app = series.substr(b + 1);
  return true;
}

void AddPipeShare(policy::RecordedPeriod& period, const daemon::control::HistoryPoint& p) {
  std::string pipe, app;
  policy::Direction dir{};
  if (p.node().empty() || !SplitPipeSeries(p.series(), pipe, dir, app)) return;
  auto lane = std::find_if(period.lanes.begin(), period.lanes.end(),
                           [&](const policy::RecordedLane& l) { return l.pipe == pipe && l.direction == dir; });
  if (lane == period.lanes.end()) lane = period.lanes.insert(lane, policy::RecordedLane{pipe, dir, {}});
  lane->shares.push_back({app, NodeId::FromName(p.node()), std::max(p.demand_m(), p.usage_m()), p.usage_m(),
                          p.booking_m(), p.allocation_m()});
}

size_t AddPeriods(const daemon::control::HistoryAnswer& apps, const daemon::control::HistoryAnswer& nodes,
                  const daemon::control::HistoryAnswer& pipes, std::set<std::string>& seen, const PeriodSink& sink) {
  std::map<int64_t, policy::RecordedPeriod> periods;
  std::set<std::pair<int64_t, NodeId>> with_figures;  // (bucket, node)
  for (const auto& p : nodes.points()) {
    if (p.node().empty() || p.samples() == 0) continue;
    auto& period = periods[p.time_ms()];
    period.time_ms = p.time_ms();
    period.nodes.push_back({NodeId::FromName(p.node()), p.node(), p.capacity_m()});
    with_figures.insert({p.time_ms(), period.nodes.back().id});
  }
  for (const auto& p : apps.points()) {
    auto it = periods.find(p.time_ms());
    if (it == periods.end() || p.node().empty() || p.series().empty()) continue;
    const NodeId node = NodeId::FromName(p.node());
    if (!with_figures.count({p.time_ms(), node})) continue;
    it->second.instances.push_back({p.series(), node, std::max(p.demand_m(), p.usage_m()), p.usage_m(),
                                    p.booking_m(), p.allocation_m()});
  }
  for (const auto& p : pipes.points()) {
    if (auto it = periods.find(p.time_ms()); it != periods.end()) AddPipeShare(it->second, p);
  }
  for (auto& [time, period] : periods) {
    std::set<std::string> here;
    for (const auto& n : period.nodes) here.insert(n.name);
    period.failed_nodes = static_cast<int>(
        std::count_if(seen.begin(), seen.end(), [&](const std::string& name) { return !here.count(name); }));
    seen.insert(here.begin(), here.end());
    sink(period);
  }
  return periods.size();
}

void KeepWarnings(const daemon::control::HistoryAnswer& a, std::vector<std::string>& warnings) {
  for (const auto& f : a.failures()) warnings.push_back("no answer from " + f);
  for (const auto& s : a.sources()) warnings.push_back("answered by a replica: " + s);
}

}  // namespace

std::vector<policy::RecordedPeriod> PeriodsOf(const daemon::control::HistoryAnswer& apps,
                                              const daemon::control::HistoryAnswer& nodes,
                                              const daemon::control::HistoryAnswer& pipes) {
  std::set<std::string> seen;
  std::vector<policy::RecordedPeriod> out;
  AddPeriods(apps, nodes, pipes, seen, [&](const policy::RecordedPeriod& p) { out.push_back(p); });
  return out;
}

int64_t ReplayStep(int64_t from_ms, int64_t to_ms) {
  const int64_t seconds = (to_ms - from_ms + kReplayBuckets * 1000 - 1) / (kReplayBuckets * 1000);
  return std::max<int64_t>(1, seconds) * 1000;
}

Result<Fetched> FetchRecorded(const ControlTarget& target, int64_t from_ms, int64_t to_ms, int64_t step_ms,
                              const PeriodSink& sink) {
  Fetched pool;
  pool.step_ms = step_ms;
  std::set<std::string> seen;
  int64_t slice = kFirstSliceBuckets;
  for (int64_t t = from_ms; t < to_ms;) {
    const int64_t end = std::min(to_ms, store::BucketOf(t, pool.step_ms) + slice * pool.step_ms);
    daemon::control::HistoryQuery q;
    q.set_from_ms(t);
    q.set_to_ms(end);
    q.set_step_ms(pool.step_ms);
    q.set_per_node(true);
    q.set_what("app");
    auto apps = AskHistory(target, q);
    if (!apps.ok()) return apps.error();
    q.set_what("node");
    q.set_step_ms(apps->step_ms());
    auto nodes = AskHistory(target, q);
    if (!nodes.ok()) return nodes.error();
    q.set_what("pipe");
    auto pipes = AskHistory(target, q);
    if (!pipes.ok()) return pipes.error();
    KeepWarnings(*apps, pool.warnings);
    pool.periods += AddPeriods(*apps, *nodes, *pipes, seen, sink);
    // The daemon may have raised the step to a stored level's span.
    pool.step_ms = apps->step_ms();
    const int64_t buckets = std::max<int64_t>(1, (end - t + pool.step_ms - 1) / pool.step_ms);
    const int64_t per_bucket = std::max<int64_t>(1, std::max(apps->points_size(), pipes->points_size()) / buckets);
    slice = std::max<int64_t>(1, static_cast<int64_t>(kSlicePoints) / per_bucket);
    t = end;
  }
  std::sort(pool.warnings.begin(), pool.warnings.end());
  pool.warnings.erase(std::unique(pool.warnings.begin(), pool.warnings.end()), pool.warnings.end());
  return pool;
}

}  // namespace shoal::ctl
