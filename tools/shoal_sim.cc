// shoal-sim: runs a pool of N gossiping nodes on the simulated network, in
// virtual time, and reports dissemination and failure-detection figures.
// Same flags and seed, same result.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/build_info.h"
#include "gossip/packet.h"
#include "gossip/sim/sim_pool.h"
#include "tools/sim/figures_run.h"
#include "tools/sim/full_run.h"
#include "tools/sim/pipe_run.h"
#include "tools/sim/pool_metrics.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

constexpr uint32_t kStatusChannel = channels::kSimStatus;

struct Flags {
  size_t nodes = 16;
  double loss = 0;
  double duplicate = 0;
  int period_ms = 20;
  size_t fanout = 3;
  uint32_t ttl = 0;  // 0: the preset's
  uint32_t sends = 0;
  uint64_t seed = 1;
  double duration_s = 20;
  double warmup_s = 5;
  int update_ms = 1000;
  size_t payload_bytes = 32;
  size_t probes = 32;
  size_t crashes = 1;
  int stall_ms = 0;
  double churn_every_s = 0;
  double down_s = 30;
  double latency_ms = 0.5;
  double jitter_ms = 0.2;
  int failure_timeout_ms = 0;
  int suspect_probe_ms = -1;
  int probe_ms = -1;
  int probe_timeout_ms = 0;
  int catch_up_items = -1;
  bool formed = false;
  bool json = false;
  bool full = false;
  bool figures = false;
  bool statuses = false;
  size_t apps = 20;
  int rollup_ms = 250;
  int levels_ms = 250;
  std::string levels_by = "tree";
  std::string plan_from = "live";
  bool pipes = false;
  bool without_pipe_loop = false;
  double shift_s = 10;
  bool history = false;
  int copies = 2;
};

// How the measuring window began: after how long a warm-up, on a formed pool or not.
struct WindowStart {
  double warmup_s = 0;
  bool formed = false;
};

// A pool started cold forms in a time that grows with its size: the
// warm-up is extended, a second at a time and up to ten times its length,
// until every node sees every other alive.
WindowStart WarmUp(SimPool& pool, double warmup_s) {
  pool.RunFor(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(warmup_s)));
  double ran = warmup_s;
  while (!pool.Formed() && ran < 10 * std::max(warmup_s, 1.0)) {
    pool.RunFor(std::chrono::seconds(1));
    ran += 1;
  }
  return {ran, pool.Formed()};
}

// Crashes and restarts: about every `every` (0.5x to 1.5x, at random) a
// running node that is not a probe origin crashes, and comes back `down`
// later with a new boot. Runs until the window ends (what is scheduled
// after it never runs).
void ScheduleChurn(SimPool& pool, sim::PoolMetrics& metrics, Random& faults, size_t first_victim, Duration every,
                   Duration down) {
  const TimePoint at = pool.clock().Now() + every / 2 + faults.Between(Duration::zero(), every);
  pool.network().Schedule(at, [&pool, &metrics, &faults, first_victim, every, down] {
    std::vector<size_t> up;
    for (size_t i = first_victim; i < pool.size(); ++i) {
      if (pool.running(i)) up.push_back(i);
    }
    if (!up.empty()) {
      const size_t victim = up[faults.Below(up.size())];
      pool.Crash(victim);
      metrics.NoteCrash(victim, pool.clock().Now());
      pool.network().Schedule(pool.clock().Now() + down, [&pool, &metrics, victim] {
        pool.Restart(victim);
        metrics.NoteRestart(victim);
      });
    }
    ScheduleChurn(pool, metrics, faults, first_victim, every, down);
  });
}

Duration Ms(double ms) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms)); }

// ttl, sends: what each node gives its own updates in a pool of this size.
void Print(const Flags& f, const WindowStart& w, const sim::PoolReport& r, double wall_s, uint32_t ttl, uint32_t sends) {
  if (f.json) {
    fmt::print(
        "{{\"nodes\": {}, \"loss\": {}, \"period_ms\": {}, \"fanout\": {}, \"ttl\": {}, \"sends\": {}, "
        "\"seed\": {}, \"duration_s\": {}, \"updates_tracked\": {}, \"updates_incomplete\": {}, "
        "\"dissemination_p50_ms\": {:.1f}, \"dissemination_p99_ms\": {:.1f}, "
        "\"dissemination_max_ms\": {:.1f}, \"dissemination_p999_ms\": {:.1f}, "
        "\"updates_over_300_ms\": {}, \"freshest_age_p99_ms\": {:.1f}, "
        "\"silence_p99_ms\": {:.1f}, \"silence_p999_ms\": {:.1f}, \"silence_max_ms\": {:.1f}, "
        "\"suspect_timeout_ms\": {:.0f}, \"failure_timeout_ms\": {:.0f}, "
        "\"bytes_per_node_per_s\": {:.0f}, \"packets_per_node_per_s\": {:.1f}, "
        "\"crashes\": {}, \"restarts\": {}, \"detections_missing\": {}, \"detection_p50_ms\": {:.1f}, "
        "\"detection_p99_ms\": {:.1f}, \"detection_max_ms\": {:.1f}, \"false_failures\": {}, "
        "\"false_suspicions\": {}, \"false_accusations\": {}, \"refutations\": {}, "
        "\"stalled_declared_failed\": {}, \"copies_per_new_entry\": {:.1f}, "
        "\"entries_received_per_node_per_s\": {:.0f}, \"formed\": {}, \"update_ms\": {}, \"warmup_s\": {:.0f}, "
        "\"formed_at_window\": {}, \"wall_s\": {:.2f}}}\n",
        r.nodes, r.loss, f.period_ms, f.fanout, ttl, sends, f.seed, f.duration_s, r.updates_tracked,
        r.updates_incomplete, r.dissemination_p50_ms, r.dissemination_p99_ms,
        r.dissemination_max_ms, r.dissemination_p999_ms, r.updates_over_300_ms,
        r.freshest_age_p99_ms, r.silence_p99_ms, r.silence_p999_ms, r.silence_max_ms, r.suspect_timeout_ms,
        r.failure_timeout_ms, r.bytes_per_node_per_s, r.packets_per_node_per_s, r.crashes, r.restarts,
        r.detections_missing, r.detection_p50_ms, r.detection_p99_ms, r.detection_max_ms, r.false_failures, r.false_suspicions, r.false_accusations,
        r.refutations, r.stalled_declared_failed,
        r.copies_per_new_entry, r.entries_received_per_node_per_s, f.formed, f.update_ms, w.warmup_s, w.formed,
        wall_s);
    return;
  }
  fmt::print("pool of {} nodes, loss {:.0f}%, period {} ms, fanout {}, TTL {}, sends {}, seed {}, {} s simulated\n",
             r.nodes, r.loss * 100, f.period_ms, f.fanout, ttl, sends, f.seed, f.duration_s);
  if (!w.formed) {
    fmt::print("  NOTE: the window began before the pool formed (after a {:.0f} s warm-up some nodes did not\n"
               "        see every other alive): the figures mix forming with the steady state; --formed\n"
               "        starts a formed pool\n", w.warmup_s);
  } else if (w.warmup_s > f.warmup_s) {
    fmt::print("  warm-up extended to {:.0f} s for the pool to form\n", w.warmup_s);
  }
  fmt::print("  update reaches every node   p50 {:.0f} ms   p99 {:.0f} ms   p99.9 {:.0f} ms   max {:.0f} ms"
             "   ({} updates, {} over 300 ms, {} never complete)\n",
             r.dissemination_p50_ms, r.dissemination_p99_ms, r.dissemination_p999_ms,
             r.dissemination_max_ms, r.updates_tracked, r.updates_over_300_ms, r.updates_incomplete);
  fmt::print("  freshest entry age          p99 {:.0f} ms (updates every {} ms)\n",
             r.freshest_age_p99_ms, f.update_ms);
  fmt::print("  silence about a live node   p99 {:.0f} ms   p99.9 {:.0f} ms   max {:.0f} ms"
             "   (suspect after {:.0f} ms, failed after {:.0f} ms)\n",
             r.silence_p99_ms, r.silence_p999_ms, r.silence_max_ms, r.suspect_timeout_ms, r.failure_timeout_ms);
  fmt::print("  traffic per node            {:.1f} KB/s sent+received, {:.0f} packets/s\n",
             r.bytes_per_node_per_s / 1000, r.packets_per_node_per_s);
  fmt::print("  crash noticed by all        p50 {:.0f} ms   p99 {:.0f} ms   max {:.0f} ms"
             "   ({} crashes, {} restarts, {} detections missing)\n",
             r.detection_p50_ms, r.detection_p99_ms, r.detection_max_ms, r.crashes, r.restarts,
             r.detections_missing);
  fmt::print("  false failures              {} (suspicions {}, accusations {}, refutations {}; stalled node"
             " declared failed: {} times)\n",
             r.false_failures, r.false_suspicions, r.false_accusations, r.refutations, r.stalled_declared_failed);
  fmt::print("  ran in {:.1f} s of wall time\n", wall_s);
}

// The exchange's settings: the lan preset with the flags' changes; none
// when they do not validate (the error is printed).
std::optional<GossipConfig> GossipSettings(const Flags& f) {
  GossipConfig c = GossipConfig::Lan();
  c.period = std::chrono::milliseconds(f.period_ms);
  c.fanout = f.fanout;
  if (f.ttl) c.max_ttl = f.ttl;
  if (f.sends) c.sends = f.sends;
  if (f.failure_timeout_ms) {
    c.failure_timeout = std::chrono::milliseconds(f.failure_timeout_ms);
    c.suspect_timeout = std::min(c.suspect_timeout, c.failure_timeout);
  }
  if (f.suspect_probe_ms >= 0) c.suspect_probe_interval = std::chrono::milliseconds(f.suspect_probe_ms);
  if (f.probe_ms >= 0) c.probe_interval = std::chrono::milliseconds(f.probe_ms);
  if (f.probe_timeout_ms > 0) c.probe_timeout = std::chrono::milliseconds(f.probe_timeout_ms);
  if (f.catch_up_items >= 0) c.catch_up_items = static_cast<size_t>(f.catch_up_items);
  if (auto s = c.Validate(); !s.ok()) {
    std::cerr << "shoal-sim: " << s.error().message << "\n";
    return std::nullopt;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{
      "shoal-sim: run N Shoal gossip nodes on a simulated network (virtual time) and report\n"
      "how fast updates spread, how fast crashes are noticed and what it costs.\n"
      "Every node publishes a status update every --update-ms; the first --probes nodes'\n"
      "updates are tracked. After --warmup-s the measuring window starts: --crashes nodes\n"
      "crash at random moments and, with --stall-ms, one node stalls.\n\n"
      "Example: shoal-sim --nodes 128 --loss 0.05 --duration-s 30 --json"};
  app.add_option("--nodes", f.nodes, "nodes in the pool")->check(CLI::Range(2, 100000));
  app.add_option("--loss", f.loss, "fraction of datagrams lost on every link")->check(CLI::Range(0.0, 0.9));
  app.add_option("--duplicate", f.duplicate, "fraction of datagrams delivered twice")->check(CLI::Range(0.0, 0.9));
  app.add_option("--period-ms", f.period_ms, "gossip period")->check(CLI::Range(5, 1000));
  app.add_option("--fanout", f.fanout, "peers per packet")->check(CLI::Range(1, 16));
  app.add_option("--ttl", f.ttl, "least hops an update may travel; more in larger pools (0: preset)")->check(CLI::Range(0, 16));
  app.add_option("--sends", f.sends, "least packets per node carrying a new entry; more in larger pools (0: preset)")->check(CLI::Range(0, 16));
  app.add_option("--seed", f.seed, "seed of every random choice");
  app.add_option("--duration-s", f.duration_s, "simulated seconds measured, after the warm-up")->check(CLI::Range(1.0, 86400.0 * 2));
  app.add_option("--warmup-s", f.warmup_s, "simulated seconds for the pool to form")->check(CLI::Range(0.0, 3600.0));
  app.add_option("--update-ms", f.update_ms, "status update interval per node")->check(CLI::Range(5, 600000));
  app.add_option("--payload-bytes", f.payload_bytes, "status payload size")->check(CLI::Range(8, 1000));
  app.add_option("--probes", f.probes, "nodes whose updates are tracked")->check(CLI::Range(1, 100000));
  app.add_option("--crashes", f.crashes, "nodes that crash during the window");
  app.add_option("--stall-ms", f.stall_ms, "one node stalls this long during the window (0: none)");
  app.add_option("--churn-every-s", f.churn_every_s,
                 "a node crashes about this often (0.5x to 1.5x, at random) during the window and comes back\n"
                 "--down-s later with a new boot (0: none; the long simulated day)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--down-s", f.down_s, "how long a churned node stays down")->capture_default_str()->check(CLI::Range(1.0, 3600.0));
  app.add_option("--latency-ms", f.latency_ms, "one-way link latency");
  app.add_option("--jitter-ms", f.jitter_ms, "extra random delay per datagram, up to this");
  app.add_option("--failure-timeout-ms", f.failure_timeout_ms, "silence before failed (0: preset)");
  app.add_option("--suspect-probe-ms", f.suspect_probe_ms, "probe a suspect this often (0: no probes; default: preset)");
  app.add_option("--probe-ms", f.probe_ms,
                 "every node starts probing a random peer this often, and accuses it if it does not "
                 "answer (0: off; default: preset)");
  app.add_option("--probe-timeout-ms", f.probe_timeout_ms, "how long a probed peer has to answer (0: preset)");
  app.add_option("--catch-up-items", f.catch_up_items,
                 "origins each digest lists for catching up on missed waves, in pools of more than "
                 "25 x the digest window (0: off; default: preset)")
      ->check(CLI::Range(0, 16));
  app.add_flag("--formed", f.formed,
               "start every node at once with the pool already formed (each holds the others'\n"
               "first entries), skipping the cold start's flood: N^2 entries of work, about an\n"
               "hour of wall time at 10,000 nodes");
  app.add_flag("--json", f.json, "print one JSON object");
  app.add_flag("--full", f.full,
               "run whole nodes: every node a complete node engine (pool view, policy distribution,\n"
               "snapshots, planner, triggers, enforcement) on a simulated 4-CPU server running three\n"
               "of ten applications; a policy is pushed after the warm-up. Reports the time until\n"
               "every node enforces it, how far the nodes' plans are apart, the booked CPU the\n"
               "servers deliver and the traffic. Uses --nodes, --seed, --loss, --warmup-s,\n"
               "--duration-s, --crashes, --json; the pool starts formed");
  app.add_flag("--figures", f.figures,
               "plan from the pool's figures instead of every node's status: each node plans its own\n"
               "row from the levels it hears and sends its part of the figures up the roll-up tree;\n"
               "the pool's representative publishes the levels. Reports how long a change at one node\n"
               "takes to reach every node's levels, how far each node's row is from its row of the\n"
               "whole plan (from every node's exact demand, once a second), the traffic per node and\n"
               "the detection figures. Uses --nodes, --seed, --loss, --warmup-s, --duration-s,\n"
               "--crashes, --stall-ms, --apps, --rollup-ms and the exchange's settings (--period-ms, --fanout,\n"
               "--failure-timeout-ms, --probe-ms...); the pool starts formed; prints JSON");
  app.add_option("--apps", f.apps, "with --figures: applications in the pool (each node runs 5)")
      ->check(CLI::Range(5, 1000));
  app.add_flag("--statuses", f.statuses,
               "with --figures: plan as today instead, every node the whole pool from every node's status,\n"
               "on the same workload and measures (the other column of the comparison)");
  app.add_option("--rollup-ms", f.rollup_ms, "with --figures: the roll-up's period")->check(CLI::Range(10, 5000));
  app.add_option("--levels-ms", f.levels_ms, "with --figures: levels published at most this often")
      ->check(CLI::Range(10, 5000));
  app.add_option("--levels-by", f.levels_by,
                 "with --figures: how levels reach the nodes: down the roll-up tree, and on their gossip\n"
                 "channel once a second for the nodes the tree misses (tree, the engine's way), or on the\n"
                 "channel only, every gossip period (gossip, the way before)")
      ->check(CLI::IsMember({"tree", "gossip"}))
      ->capture_default_str();
  app.add_flag("--pipes", f.pipes,
               "run whole nodes sharing one simulated 1 Gbit/s uplink under uneven demand: web\n"
               "(booked 30%) sends 50 MB/s from every eighth server, batch 200 MB/s from one\n"
               "server that changes every --shift-s. Reports the aggregate over the capacity, the\n"
               "capacity used, web's booking met, the time to follow a shift and the traffic.\n"
               "Uses --nodes, --seed, --loss, --warmup-s, --duration-s, --json");
  app.add_option("--shift-s", f.shift_s, "with --pipes: seconds between moves of batch's demand")
      ->check(CLI::Range(0.5, 3600.0));
  app.add_flag("--without-pipe-loop", f.without_pipe_loop,
               "with --pipes: the same pool and traffic, nothing shaped and no pipe channel");
  app.add_option("--plan-from", f.plan_from,
                 "with --full: the engines plan from the live view (the default), from the snapshot epoch,\n"
                 "or each its own row from the pool's figures (issue 26)")
      ->check(CLI::IsMember({"live", "snapshot", "figures"}));
  app.add_flag("--history", f.history, "with --full: every node records history (in memory) and replicates it");
  app.add_option("--copies", f.copies, "with --history: copies of each node's history on peers")->check(CLI::Range(0, 5));
  app.set_version_flag("--version", VersionText("shoal-sim", gossip::kMinProtocolVersion, gossip::kProtocolVersion),
                       "print the version, the commit and build it comes from, and the protocol, and exit");
  CLI11_PARSE(app, argc, argv);
  if (f.pipes) {
    return sim::RunPipes(sim::PipeRunFlags{f.nodes, f.seed, f.loss, f.warmup_s, f.duration_s, f.shift_s,
                                           !f.without_pipe_loop, f.json});
  }
  const std::optional<GossipConfig> config = GossipSettings(f);
  if (!config) return 2;
  if (f.figures) {
    return sim::RunFigures(sim::FiguresRunFlags{f.nodes, f.seed, f.loss, f.warmup_s, f.duration_s, f.crashes, f.stall_ms,
                                                f.apps, 5, 0.9, f.rollup_ms, f.levels_ms, f.levels_by == "tree",
                                                f.statuses, *config});
  }
  if (f.full) {
    return sim::RunFull(sim::FullRunFlags{f.nodes, f.seed, f.loss, f.warmup_s, f.duration_s, f.crashes, f.history,
                                          f.copies, f.json, f.plan_from});
  }

  SimPoolOptions o;
  o.nodes = f.nodes;
  o.seed = f.seed;
  o.config = *config;
  o.link.loss = f.loss;
  o.link.duplicate = f.duplicate;
  o.link.latency = Ms(f.latency_ms);
  o.link.jitter = Ms(f.jitter_ms);
  o.join_spread = Ms(std::min(f.warmup_s * 1000 / 2, 2000.0));

  const auto wall0 = std::chrono::steady_clock::now();
  SimPool pool(o);
  sim::PoolMetrics metrics(pool, kStatusChannel, f.probes);
  // Each node updates its status every --update-ms at its own random phase,
  // as real servers do; the channel asks every period and a new payload
  // appears once per interval.
  std::vector<Duration> phase(f.nodes);
  Random phases(f.seed ^ 0x9a5eULL);
  for (auto& p : phase) p = phases.Between(Duration::zero(), std::chrono::milliseconds(f.update_ms));
  const TimePoint epoch = pool.clock().Now();
  pool.AddChannels([&](size_t i, Gossiper& g) {
    ChannelSpec spec{kStatusChannel, "status", o.config.period, f.payload_bytes};
    auto s = g.RegisterChannel(spec, [&, i] {
      const auto n = (pool.clock().Now() - epoch + phase[i]) / std::chrono::milliseconds(f.update_ms);
      std::string p = fmt::format("{}:{}", i, n);
      p.resize(f.payload_bytes, '.');
      return std::optional<std::string>(std::move(p));
    }, nullptr);
    if (!s.ok()) {
      std::cerr << "shoal-sim: " << s.error().message << "\n";
      std::exit(2);
    }
  });
  pool.SetObserver([&](size_t i, uint32_t ch, NodeId origin, uint64_t version) {
    if (ch == kStatusChannel && SimPool::IndexOf(origin) == i) {
      metrics.OnPublish(i, version, pool.clock().Now());
    } else {
      metrics.OnStored(i, ch, origin, version);
    }
  });
  pool.SetMemberListener([&](size_t i, const MemberEvent& ev) { metrics.OnMemberEvent(i, ev); });
  if (f.formed) {
    pool.StartFormed();
  } else {
    pool.Start();
  }
  const WindowStart window_start = WarmUp(pool, f.warmup_s);
  metrics.BeginWindow();

  // Faults, drawn from their own generator so they do not shift the pool's.
  Random faults(f.seed ^ 0xfa017ULL);
  const Duration window = Ms(f.duration_s * 1000);
  const TimePoint start = pool.clock().Now();
  std::vector<std::pair<TimePoint, size_t>> crash_at;
  const size_t first_victim = std::min(f.probes, f.nodes / 2);
  const Duration crash_span = window > std::chrono::seconds(8) ? window - std::chrono::seconds(5) : window / 2;
  for (size_t c = 0; c < f.crashes && first_victim + c < f.nodes; ++c) {
    size_t victim;
    do {
      victim = first_victim + faults.Below(f.nodes - first_victim);
    } while (std::any_of(crash_at.begin(), crash_at.end(), [&](auto& p) { return p.second == victim; }));
    crash_at.emplace_back(start + faults.Between(Duration::zero(), crash_span), victim);
  }
  for (auto& [at, victim] : crash_at) {
    pool.network().Schedule(at, [&, at = at, victim = victim] {
      pool.Crash(victim);
      metrics.NoteCrash(victim, at);
    });
  }
  if (f.stall_ms > 0) {
    size_t staller;
    do {
      staller = first_victim + faults.Below(f.nodes - first_victim);
    } while (std::any_of(crash_at.begin(), crash_at.end(), [&](auto& p) { return p.second == staller; }));
    metrics.ScheduleStall(staller, start + std::min(window / 4, Duration(std::chrono::seconds(2))),
                          std::chrono::milliseconds(f.stall_ms));
  }
  if (f.churn_every_s > 0) {
    ScheduleChurn(pool, metrics, faults, first_victim, Ms(f.churn_every_s * 1000), Ms(f.down_s * 1000));
  }
  const Duration sample_every = std::chrono::milliseconds(100);
  while (pool.clock().Now() - start < window) {
    pool.RunFor(sample_every);
    metrics.SampleFreshness();
  }
  const auto report = metrics.Finish(f.loss);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  Print(f, window_start, report, wall, o.config.TtlFor(f.nodes), o.config.SendsFor(f.nodes));
  return 0;
}
