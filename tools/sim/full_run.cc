#include "tools/sim/full_run.h"
#include "tools/sim/plan_lag.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/percentile.h"
#include "tools/sim/full_pool.h"
#include "tools/sim/workload.h"

namespace shoal::sim {
namespace {

// Ten applications, each booked 7% of the pool (tools/sim/workload.h).
const SimLoad kLoad{};

// The samples of the settled pool start this long after the push: planning
// from figures, a new document's applications climb the roll-up tree and
// come down in the levels in 2-3 s at 512-1,024 nodes (before, rows are
// measured as settling). The live view settles within 2 s.
constexpr Duration kSettled = std::chrono::seconds(5);

struct Window {
  PlanLag lag;
  std::vector<double> spread_max, spread_median;  // once a second, settled
  double settling_max = 0;
  Duration rows_unsettled{};  // the last sample, since the push, with a row over 10% off the whole plan's
  std::map<std::string, double> least_met;  // per application, over the window
  std::vector<double> row_gaps;             // every node's row against the whole plan, once a second, settled
  uint64_t udp_bytes = 0, stream_bytes = 0, packets = 0;
  // From 5 s after the push to the end: the settled pool's traffic, without
  // the push and the switch to figures.
  std::optional<Traffic> settled_from;
  Duration settled_for{};
  double settled_bytes = -1;  // per node per second, sent + received
  struct Cli {
    double nodes_ms = -1;  // every node's detail (shoalctl nodes, app)
    size_t answered = 0, asked = 0;
    double figures_ms = -1;  // the pool's figures from its representative (status, apps)
  } cli;
};

// What the CLI's pool-wide answers take when the pool plans from figures:
// node 1 asks every node's detail, then the pool's figures (engine::DetailService).
Window::Cli AskAsTheCli(FullPool& p) {
  Window::Cli cli;
  const size_t asker = 1;
  if (!p.running(asker) || !p.engine(asker).plans_from_figures()) return cli;
  constexpr Duration kTimeout = std::chrono::seconds(3), kLimit = std::chrono::seconds(30);
  const TimePoint start = p.now();
  bool done = false;
  p.detail(asker).AskNodes(kTimeout, [&](engine::DetailService::Answers a) {
    cli.nodes_ms = ToMillis(p.now() - start);
    cli.answered = a.details.size();
    cli.asked = a.asked;
    done = true;
  });
  p.RunUntil([&] { return done; }, kLimit, std::chrono::milliseconds(1));
  const TimePoint again = p.now();
  done = false;
  p.detail(asker).AskPoolFigures(p.engine(asker).figures()->rollup().pool_rep(), kTimeout,
                                 [&](Result<policy::PoolFigures> f) {
                                   if (f.ok()) cli.figures_ms = ToMillis(p.now() - again);
                                   done = true;
                                 });
  p.RunUntil([&] { return done; }, kLimit, std::chrono::milliseconds(1));
  return cli;
}

// Once a second: how far apart the plans are, and what each booking gets.
void Sample(FullPool& p, Duration since_push, Window& w) {
  const PlanSpread s = p.Spread();
  const std::vector<double> gaps = p.RowGaps();
  if (std::any_of(gaps.begin(), gaps.end(), [](double g) { return g > 10; })) w.rows_unsettled = since_push;
  if (since_push > kSettled) {
    w.spread_max.push_back(s.max);
    w.spread_median.push_back(s.median);
    w.row_gaps.insert(w.row_gaps.end(), gaps.begin(), gaps.end());
  } else {
    // The pushed document's applications appear in the statuses node by
    // node; the settled figures are after this.
    w.settling_max = std::max(w.settling_max, s.max);
  }
  for (int a = 0; a < kLoad.apps; ++a) {
    const double met = p.BookedMet(kLoad.AppName(a));
    auto [it, fresh] = w.least_met.try_emplace(kLoad.AppName(a), met);
    if (!fresh) it->second = std::min(it->second, met);
  }
}

void Print(const FullRunFlags& f, const FullPool& p, std::optional<Duration> push, size_t enforcing, Window& w,
           size_t copies, double wall_s) {
  const double push_ms = push ? ToMillis(*push) : -1;
  const double spread_p50 = Percentile(w.spread_median, 50), spread_max = Percentile(w.spread_max, 100);
  double least = 1;
  for (const auto& [app, met] : w.least_met) least = std::min(least, met);
  const double per_node_s = f.duration_s * static_cast<double>(p.size());
  const double udp = static_cast<double>(w.udp_bytes) / per_node_s, streams = static_cast<double>(w.stream_bytes) / per_node_s;
  const double bytes = udp + streams, packets = static_cast<double>(w.packets) / per_node_s;
  const Histogram& lag = w.lag.lag_ms();
  auto share = [](uint64_t part, uint64_t whole) { return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0; };
  const double behind = share(w.lag.behind(), w.lag.samples());
  const double from_snapshot = share(w.lag.from_snapshot(), w.lag.node_samples());
  const bool figures = f.plan_from == "figures";  // each plan holds its own row only: no spread, no status lag
  const double gap_p50 = Percentile(w.row_gaps, 50), gap_p99 = Percentile(w.row_gaps, 99),
               gap_max = Percentile(w.row_gaps, 100);
  if (f.json) {
    fmt::print("{{\"nodes\": {}, \"seed\": {}, \"loss\": {}, \"duration_s\": {}, \"push_to_all_enforcing_ms\": {:.0f}, "
               "\"nodes_enforcing\": {}, \"plan_spread_median\": {:.5f}, \"plan_spread_max\": {:.5f}, "
               "\"plan_spread_settling_max\": {:.5f}, \"rows_unsettled_ms\": {:.0f}, \"row_gap_p50_pct\": {:.3f}, \"row_gap_p99_pct\": {:.3f}, "
               "\"row_gap_max_pct\": {:.3f}, "
               "\"least_booked_met\": {:.4f}, \"bytes_per_node_per_s\": {:.0f}, \"udp_bytes_per_node_per_s\": {:.0f}, "
               "\"stream_bytes_per_node_per_s\": {:.0f}, \"packets_per_node_per_s\": {:.1f}, "
               "\"settled_bytes_per_node_per_s\": {:.0f}, "
               "\"history\": {}, \"least_history_copies\": {}, \"crashes\": {}, \"plan_from\": \"{}\", "
               "\"planned_from_snapshot\": {:.4f}, \"figures_behind\": {:.4f}, \"figure_lag_p50_ms\": {:.0f}, "
               "\"figure_lag_p99_ms\": {:.0f}, \"figure_lag_max_ms\": {:.0f}, \"cli_nodes_ms\": {:.0f}, "
               "\"cli_nodes_answered\": {}, \"cli_nodes_asked\": {}, \"cli_pool_figures_ms\": {:.0f}, \"wall_s\": {:.2f}}}\n",
               p.size(), f.seed, f.loss, f.duration_s, push_ms, enforcing, figures ? -1 : spread_p50, figures ? -1 : spread_max,
               figures ? -1 : w.settling_max, ToMillis(w.rows_unsettled), gap_p50, gap_p99, gap_max, least, bytes,
               udp, streams, packets, w.settled_bytes, f.history, copies, f.crashes, f.plan_from, from_snapshot, behind,
               lag.Percentile(50), lag.Percentile(99), lag.Percentile(100), w.cli.nodes_ms, w.cli.answered,
               w.cli.asked, w.cli.figures_ms, wall_s);
    return;
  }
  fmt::print("{} whole nodes, loss {:.0f}%, seed {}, {} s simulated after a {} s warm-up\n", p.size(), f.loss * 100,
             f.seed, f.duration_s, f.warmup_s);
  fmt::print("  policy push to every node enforcing   {}\n",
             push ? fmt::format("{:.0f} ms", push_ms) : fmt::format("not within the window ({} nodes)", enforcing));
  if (!figures) {
    fmt::print("  plans apart from the reference node   median {:.3f}%  max {:.3f}% of the pool's capacity, once a\n"
               "                                        second from 5 s after the push ({:.1f}% max before)\n",
               spread_p50 * 100, spread_max * 100, w.settling_max * 100);
  }
  fmt::print("  rows against the whole plan now       p50 {:.2f}%  p99 {:.2f}%  max {:.2f}% of the node's capacity\n"
             "                                        (the plan from every node's sample at that moment), once\n"
             "                                        a second from 5 s after the push; the last sample with a\n"
             "                                        row over 10% off: {}\n",
             gap_p50, gap_p99, gap_max,
             w.rows_unsettled > Duration::zero() ? fmt::format("{:.1f} s after the push", ToMillis(w.rows_unsettled) / 1000)
                                                 : std::string("none"));
  fmt::print("  booked CPU delivered (least app)      {:.1f}% of min(demand, entitlement)\n", least * 100);
  fmt::print("  traffic per node                      {:.1f} KB/s sent+received ({:.1f} UDP, {:.0f} packets/s; {:.1f}\n"
             "                                        over peer streams)\n",
             bytes / 1000, udp / 1000, packets, streams / 1000);
  if (w.settled_bytes >= 0) {
    fmt::print("  traffic per node, settled             {:.1f} KB/s from 5 s after the push\n", w.settled_bytes / 1000);
  }
  if (f.history) fmt::print("  history copies held (least origin)    {} of {}\n", copies, f.copies);
  if (figures) {
    fmt::print("  plans made from                       each node's row from the pool's figures\n");
  } else {
    fmt::print("  plans made from                       {} ({:.1f}% of node samples from a snapshot)\n",
               f.plan_from == "snapshot" ? "the snapshot epoch" : "the live view", from_snapshot * 100);
    fmt::print("  figures planned from, superseded for  p50 {:.0f} ms  p99 {:.0f} ms  max {:.0f} ms ({:.1f}% of\n"
               "                                        node x origin samples not on the latest)\n",
               lag.Percentile(50), lag.Percentile(99), lag.Percentile(100), behind * 100);
  }
  if (w.cli.nodes_ms >= 0) {
    fmt::print("  the CLI's questions, asked of node 1   every node's detail {:.0f} ms ({} of {} answered); the\n"
               "                                        pool's figures {:.0f} ms\n",
               w.cli.nodes_ms, w.cli.answered, w.cli.asked, w.cli.figures_ms);
  }
  fmt::print("  ran in {:.1f} s of wall time\n", wall_s);
}

}  // namespace

int RunFull(const FullRunFlags& f) {
  const auto wall0 = std::chrono::steady_clock::now();
  FullPoolOptions o = LanPool(f.nodes, f.seed, f.loss);
  o.history = f.history;
  o.history_copies = f.copies;
  o.plan_from_snapshot = f.plan_from == "snapshot";
  if (f.plan_from == "figures") o.planning.from = engine::PlanFrom::kFigures;
  o.workload = [](size_t i, SimMachine& m) { kLoad.Run(i, m); };
  FullPool p(o);
  p.StartFormed();
  p.RunFor(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(f.warmup_s)));
  auto v = p.Push(0, kLoad.Policy());
  if (!v.ok()) {
    fmt::print(stderr, "shoal-sim: the generated policy was refused: {}\n", v.error().message);
    return 1;
  }
  const Duration window = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(f.duration_s));
  const TimePoint start = p.now();
  Window w;
  const auto traffic0 = p.Traffic();
  auto push = p.RunUntil([&] { return p.NodesEnforcing(*v) == p.size(); }, window);
  Random faults(f.seed ^ 0xfa017ULL);
  for (size_t c = 0; c < f.crashes; ++c) p.pool().Crash(1 + faults.Below(p.size() - 1));
  while (p.now() - start < window) {
    // Every published status version seen, the plans' lag at ten phases of a second.
    for (int k = 0; k < 10; ++k) {
      p.RunFor(std::chrono::milliseconds(100));
      if (f.plan_from == "figures") continue;  // rows from figures: no status lag to measure
      w.lag.Observe(p);
      if (p.now() - start > std::chrono::seconds(2)) w.lag.Sample(p);
    }
    Sample(p, p.now() - start, w);
    if (!w.settled_from && p.now() - start >= kSettled) {
      w.settled_from = p.Traffic();
      w.settled_for = window - (p.now() - start);
    }
  }
  const auto traffic1 = p.Traffic();
  if (w.settled_from && w.settled_for > Duration::zero()) {
    const Traffic settled = traffic1.Since(*w.settled_from);
    w.settled_bytes = static_cast<double>(settled.udp_bytes + settled.stream_bytes) /
                      (ToMillis(w.settled_for) / 1000 * static_cast<double>(p.size()));
  }
  const Traffic moved = traffic1.Since(traffic0);
  w.udp_bytes = moved.udp_bytes;
  w.stream_bytes = moved.stream_bytes;
  w.packets = moved.udp_packets;
  const size_t copies = f.history ? p.LeastHistoryCopies() : 0;
  w.cli = AskAsTheCli(p);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  Print(f, p, push, p.NodesEnforcing(*v), w, copies, wall);
  return 0;
}

}  // namespace shoal::sim
