#include "tools/sim/figures_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/percentile.h"
#include "gossip/sim/sim_pool.h"
#include "tools/sim/planning_pool.h"
#include "tools/sim/pool_metrics.h"
#include "tools/sim/row_gap.h"

namespace shoal::sim {
namespace {

Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

// Per node (by index), its row.
using Rows = std::map<size_t, Row>;

struct Gaps {
  std::vector<double> rows;   // every node's row against the whole plan now
  std::vector<double> drift;  // the whole plan's row against itself a sample earlier
  Rows last;                  // the whole plan's rows at the last sample
};

// Every running node's row as it would plan it now against its row of the
// whole plan from every running node's exact demand now, in % of the
// node's capacity; and how far the whole plan itself moved since the last
// sample (what planning from figures that old would cost).
void SampleGaps(PlanningPool& p, Gaps& gaps) {
  gossip::SimPool& pool = p.pool();
  const TimePoint now = pool.clock().Now();
  const policy::PlanInput& view = p.workload().view();
  policy::PlanInput exact;
  exact.policies = view.policies;
  exact.options = view.options;
  std::vector<size_t> running;
  for (size_t n = 0; n < pool.size(); ++n) {
    if (!pool.running(n)) continue;
    running.push_back(n);
    exact.nodes.push_back(view.nodes[n]);
    const auto own = p.Own(n, now);
    exact.instances.insert(exact.instances.end(), own.begin(), own.end());
  }
  const policy::CpuPlan whole = policy::PlanCpu(exact);
  Rows rows;
  for (size_t k = 0; k < running.size(); ++k) {
    const policy::NodePlan& node = whole.nodes[k];
    Row& exact_row = rows[running[k]] = RowOf(whole, node.id);
    gaps.rows.push_back(RowGap(exact_row, p.node(running[k]).PlanNow(now), node.capacity));
    if (auto it = gaps.last.find(running[k]); it != gaps.last.end()) {
      gaps.drift.push_back(RowGap(exact_row, it->second, node.capacity));
    }
  }
  gaps.last = std::move(rows);
}

// One node's counters at one moment: UDP (and of it the repairs it sent),
// streams and the roll-up's parts.
struct NodeBytes {
  uint64_t udp_sent = 0, udp_received = 0, streams = 0, parts_sent = 0, parts_received = 0, repairs = 0;
};

NodeBytes Snapshot(PlanningPool& p, size_t n) {
  gossip::SimPool& pool = p.pool();
  NodeBytes b;
  b.udp_sent = pool.node(n).counters().bytes_sent;
  b.udp_received = pool.node(n).counters().bytes_received;
  b.repairs = pool.node(n).counters().repair_bytes_sent;
  b.streams = pool.streams(n).counters().bytes_sent + pool.streams(n).counters().bytes_received;
  if (const gossip::Rollup* r = p.node(n).rollup(); r != nullptr) {
    b.parts_sent = r->counters().bytes_sent;
    b.parts_received = r->counters().bytes_received;
  }
  return b;
}

struct Traffic {
  double udp = 0, streams = 0;  // bytes per node per second, sent + received
  double repairs = 0;           // of udp, repairs sent (entries' encoded size)
  double busiest = 0;           // the node that moved the most
  size_t busiest_node = 0;
  NodeBytes busiest_rate;       // its parts, per second
  double p99 = 0;               // of the nodes' totals
};

Traffic Measure(const std::vector<NodeBytes>& before, const std::vector<NodeBytes>& after, double seconds) {
  Traffic t;
  std::vector<double> totals;
  const auto rate = [seconds](uint64_t a, uint64_t b) { return static_cast<uint64_t>(static_cast<double>(b - a) / seconds); };
  for (size_t n = 0; n < before.size(); ++n) {
    const NodeBytes r{rate(before[n].udp_sent, after[n].udp_sent), rate(before[n].udp_received, after[n].udp_received),
                      rate(before[n].streams, after[n].streams), rate(before[n].parts_sent, after[n].parts_sent),
                      rate(before[n].parts_received, after[n].parts_received), rate(before[n].repairs, after[n].repairs)};
    const auto udp = static_cast<double>(r.udp_sent + r.udp_received);
    const auto streams = static_cast<double>(r.streams);
    t.udp += udp / static_cast<double>(before.size());
    t.streams += streams / static_cast<double>(before.size());
    t.repairs += static_cast<double>(r.repairs) / static_cast<double>(before.size());
    totals.push_back(udp + streams);
    if (udp + streams > t.busiest) {
      t.busiest = udp + streams;
      t.busiest_node = n;
      t.busiest_rate = r;
    }
  }
  t.p99 = Percentile(totals, 99);
  return t;
}

// What the busiest node was: how many zones it represented at the end
// and whether it represented the pool (published the levels).
std::string BusiestRole(PlanningPool& p, const Traffic& t) {
  const gossip::Rollup* r = p.node(t.busiest_node).rollup();
  const NodeBytes& b = t.busiest_rate;
  return fmt::format(
      "\"busiest_node\": {}, \"busiest_node_udp_sent_per_s\": {}, \"busiest_node_udp_received_per_s\": {}, "
      "\"busiest_node_parts_sent_per_s\": {}, \"busiest_node_parts_received_per_s\": {}, "
      "\"busiest_node_repairs_sent_per_s\": {}, \"busiest_node_zones_held\": {}, "
      "\"busiest_node_represents_pool\": {}, \"repairs_sent_per_node_per_s\": {:.0f}, ",
      t.busiest_node, b.udp_sent, b.udp_received, b.parts_sent, b.parts_received, b.repairs,
      r ? r->zones_held() : 0, r != nullptr && r->represents_pool(), t.repairs);
}

void Report(const FiguresRunFlags& f, PlanningPool& p, const PoolReport& r, Gaps& gaps,
            const Traffic& t, double wall_s) {
  std::vector<double> reach_ms, top_ms;
  size_t unreached = 0;
  gossip::SimPool& pool = p.pool();
  for (const auto& [k, probe] : p.probes()) {
    TimePoint last = probe.start;  // every node running at the end had to hear it
    for (size_t n = 0; n < pool.size(); ++n) {
      if (pool.running(n)) last = std::max(last, probe.heard[n]);
    }
    if (last == TimePoint::max()) {
      ++unreached;
    } else {
      reach_ms.push_back(ToMillis(last - probe.start));
    }
    if (probe.at_top) top_ms.push_back(ToMillis(*probe.at_top - probe.start));
  }
  uint64_t wholes = 0, send_failures = 0, down_heard = 0, down_ignored = 0;
  uint64_t received = 0, deltas = 0, deltas_refused = 0;
  size_t height = 0;
  double largest_part = 0;  // the largest mean part a node received
  for (size_t n = 0; n < pool.size(); ++n) {
    const gossip::Rollup* rollup = p.node(n).rollup();
    if (rollup == nullptr) continue;
    const gossip::RollupCounters& c = rollup->counters();
    wholes += c.wholes;
    down_heard += c.down_heard;
    down_ignored += c.down_ignored;
    send_failures += c.send_failures;
    received += c.received;
    deltas += c.deltas_received;
    deltas_refused += c.deltas_refused;
    height = std::max(height, rollup->height());
    if (c.received > 0) {
      const double mean_part = static_cast<double>(c.part_bytes_received) / static_cast<double>(c.received);
      largest_part = std::max(largest_part, mean_part);
    }
  }
  std::vector<double> levels_bytes = p.levels_bytes();
  fmt::print(
      "{{\"rows_from\": \"{}\", \"nodes\": {}, \"apps\": {}, \"per_node\": {}, \"loss\": {}, \"seed\": {}, "
      "\"period_ms\": {}, \"fanout\": {}, \"sends\": {}, \"duration_s\": {}, \"rollup_ms\": {}, \"levels_ms\": {}, "
      "\"levels_by\": \"{}\", \"tree_height\": {}, \"probes\": {}, \"probes_unreached\": {}, "
      "\"change_to_top_p50_ms\": {:.0f}, \"change_to_top_p99_ms\": {:.0f}, "
      "\"change_to_every_node_p50_ms\": {:.0f}, \"change_to_every_node_p99_ms\": {:.0f}, "
      "\"change_to_every_node_max_ms\": {:.0f}, \"row_gap_p50_pct\": {:.3f}, \"row_gap_p99_pct\": {:.3f}, "
      "\"row_gap_max_pct\": {:.3f}, \"whole_plan_drift_1s_p50_pct\": {:.3f}, \"whole_plan_drift_1s_p99_pct\": {:.3f}, "
      "\"bytes_per_node_per_s\": {:.0f}, \"udp_bytes_per_node_per_s\": {:.0f}, "
      "\"stream_bytes_per_node_per_s\": {:.0f}, \"node_bytes_p99_per_s\": {:.0f}, \"busiest_node_bytes_per_s\": {:.0f}, "
      "\"busiest_node_udp_per_s\": {:.0f}, \"busiest_node_streams_per_s\": {:.0f}, {}\"wholes\": {}, \"levels_down_heard\": {}, \"levels_down_ignored\": {}, "
      "\"rollup_send_failures\": {}, \"levels_bytes_p50\": {:.0f}, \"levels_bytes_max\": {:.0f}, \"largest_part_bytes\": {:.0f}, "
      "\"levels_too_large\": {}, \"parts_refused\": {}, \"parts_as_deltas_pct\": {:.1f}, \"deltas_refused\": {}, "
      "\"crashes\": {}, \"detection_p99_ms\": {:.0f}, "
      "\"detections_missing\": {}, \"false_failures\": {}, \"false_suspicions\": {}, \"refutations\": {}, "
      "\"stall_ms\": {}, \"stalled_declared_failed\": {}, \"wall_s\": {:.1f}}}\n",
      f.statuses ? "statuses" : "figures", f.nodes, f.apps, f.per_node, f.loss, f.seed,
      ToMillis(f.gossip.period), f.gossip.fanout, f.gossip.sends, f.duration_s, f.rollup_ms, f.levels_ms,
      f.levels_down ? "tree" : "gossip",
      height, p.probes().size(), unreached, Percentile(top_ms, 50), Percentile(top_ms, 99), Percentile(reach_ms, 50),
      Percentile(reach_ms, 99), Percentile(reach_ms, 100), Percentile(gaps.rows, 50), Percentile(gaps.rows, 99),
      Percentile(gaps.rows, 100), Percentile(gaps.drift, 50), Percentile(gaps.drift, 99), t.udp + t.streams, t.udp, t.streams, t.p99, t.busiest, static_cast<double>(t.busiest_rate.udp_sent + t.busiest_rate.udp_received),
      static_cast<double>(t.busiest_rate.streams), BusiestRole(p, t), wholes, down_heard, down_ignored, send_failures,
      Percentile(levels_bytes, 50), Percentile(levels_bytes, 100), largest_part, p.levels_too_large, p.parts_refused,
      received == 0 ? 0.0 : 100.0 * static_cast<double>(deltas) / static_cast<double>(received), deltas_refused,
      r.crashes,
      r.detection_p99_ms, r.detections_missing, r.false_failures, r.false_suspicions, r.refutations, f.stall_ms,
      r.stalled_declared_failed, wall_s);
}

}  // namespace

int RunFigures(const FiguresRunFlags& f) {
  const auto wall0 = std::chrono::steady_clock::now();
  gossip::SimPoolOptions o;
  o.nodes = f.nodes;
  o.seed = f.seed;
  o.config = f.gossip;
  o.link.loss = f.loss;
  gossip::SimPool pool(o);
  const PlanWorkload workload(f.nodes, f.apps, f.per_node, f.load, f.seed, pool.clock().Now());
  gossip::RollupConfig rollup;
  rollup.period = std::chrono::milliseconds(f.rollup_ms);
  rollup.whole_every = std::chrono::milliseconds(f.levels_ms);
  PlanningPool p(pool, workload, f.statuses ? PlanFrom::kStatuses : PlanFrom::kFigures, rollup, f.levels_down);
  PoolMetrics metrics(pool, gossip::channels::kSimStatus, 1);
  pool.SetMemberListener([&](size_t i, const gossip::MemberEvent& ev) { metrics.OnMemberEvent(i, ev); });
  pool.StartFormed();
  pool.RunFor(Seconds(f.warmup_s));
  metrics.BeginWindow();

  std::vector<NodeBytes> traffic0(f.nodes);
  for (size_t n = 0; n < f.nodes; ++n) traffic0[n] = Snapshot(p, n);
  Random faults(f.seed ^ 0xfa017ULL);
  const TimePoint start = pool.clock().Now();
  const Duration window = Seconds(f.duration_s);
  std::vector<size_t> victims;
  for (size_t c = 0; c < f.crashes; ++c) {
    const size_t victim = 1 + faults.Below(f.nodes - 1);
    victims.push_back(victim);
    const TimePoint at = start + faults.Between(Duration::zero(), window / 2);
    pool.network().Schedule(at, [&, victim, at] {
      if (!pool.running(victim)) return;
      pool.Crash(victim);
      metrics.NoteCrash(victim, at);
    });
  }
  if (f.stall_ms > 0) {
    size_t staller;
    do staller = 1 + faults.Below(f.nodes - 1); while (std::ranges::find(victims, staller) != victims.end());
    metrics.ScheduleStall(staller, start + window / 4, std::chrono::milliseconds(f.stall_ms));
  }
  Gaps gaps;
  while (pool.clock().Now() - start < window) {
    size_t at;
    do at = faults.Below(f.nodes); while (!pool.running(at));
    p.StartProbe(at);
    pool.RunFor(std::chrono::seconds(1));
    if (pool.clock().Now() - start >= std::chrono::seconds(2)) SampleGaps(p, gaps);
  }
  std::vector<NodeBytes> traffic1(f.nodes);
  for (size_t n = 0; n < f.nodes; ++n) traffic1[n] = Snapshot(p, n);
  const Traffic t = Measure(traffic0, traffic1, f.duration_s);
  pool.RunFor(std::chrono::seconds(4));  // the last probes' news
  Report(f, p, metrics.Finish(f.loss), gaps, t,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  return 0;
}

}  // namespace shoal::sim
