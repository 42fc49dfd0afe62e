// shoal-emulate: N-1 emulated peers (tools/emu/emulated_pool.h) for one
// real shoald to join, so that what the daemon costs in a pool of N is
// measured on a CPU of its own. Runs until SIGINT or SIGTERM.
#include <signal.h>

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "core/file_limit.h"
#include "daemon/key_file.h"
#include "tools/emu/emulated_pool.h"
#include "tools/sim/workload.h"

using namespace shoal;

namespace {

// Every application booked an even share of 80% of the pool.
sim::SimLoad Load(int apps) {
  return {.apps = apps, .percent = std::max(1, 80 / std::max(apps, 1)), .prefix = "emu-app"};
}

struct Flags {
  size_t peers = 15;
  std::string key_file;
  std::vector<std::string> seeds;
  std::string first_address = "127.1.0.1:7946";
  int apps = 20;
  uint32_t cpus = 4;
  bool no_history = false;
  std::string plan_from = "pool-size";
  size_t figures_at = 48;
  int report_every_ms = 5000;
  uint64_t rng_seed = 1;
  bool print_policy = false;
  // The peers' exchange, as shoald's [gossip] keys (the lan preset's by
  // default): the real daemon must be given the same.
  int period_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(gossip::GossipConfig::Lan().period).count());
  size_t fanout = gossip::GossipConfig::Lan().fanout;
  uint32_t sends = gossip::GossipConfig::Lan().sends;
};

void Report(boost::asio::steady_timer& timer, emu::EmulatedPool& pool, std::chrono::milliseconds every) {
  timer.expires_after(every);
  timer.async_wait([&timer, &pool, every](const boost::system::error_code& ec) {
    if (ec) return;
    const emu::EmulatedReport r = pool.TakeReport();
    const double per = static_cast<double>(r.peers) * std::chrono::duration<double>(every).count();
    fmt::print("emulator: {} peers, {} live nodes seen | per peer {:.0f} pkts/s {:.1f} KB/s UDP, {:.1f} KB/s streams | {}\n",
               r.peers, r.live_seen,
               static_cast<double>(r.traffic.udp_packets) / per, static_cast<double>(r.traffic.udp_bytes) / per / 1000,
               static_cast<double>(r.traffic.stream_bytes) / per / 1000, r.ticks);
    std::fflush(stdout);
    Report(timer, pool, every);
  });
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{
      "shoal-emulate: emulated peers on real sockets for one real shoald to join, each a whole node engine\n"
      "on a simulated server running three applications whose demand changes every second. Peer i binds\n"
      "--first-address plus i (UDP and TCP) and seeds the real daemon. Measure the daemon alone with\n"
      "bench/emulated_pool.sh; pin this process to another CPU (taskset). Prints a report line every\n"
      "--report-every-ms: the peers' traffic and how late their ticks start; a round of ticks longer\n"
      "than the gossip period (--period-ms) means this process cannot keep up with that many peers."};
  app.add_option("--peers", f.peers, "emulated peers (the pool is these and the real daemon)")
      ->check(CLI::Range(1, 20000));
  app.add_option("--key-file", f.key_file, "the pool's key file (shoald --generate-key)");
  app.add_option("--seed", f.seeds, "the real daemon's address (repeatable)");
  app.add_option("--first-address", f.first_address, "peer 1's address; the others follow it")->capture_default_str();
  app.add_option("--apps", f.apps, "applications in the workload and the policy")->capture_default_str()->check(CLI::Range(1, 200));
  app.add_option("--cpus", f.cpus, "CPUs of each simulated server")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_flag("--no-history", f.no_history, "no history store on the peers (nothing replicates to them)");
  app.add_option("--plan-from", f.plan_from, "statuses | figures | pool-size, as shoald's [cpu] plan_from")->capture_default_str();
  app.add_option("--figures-at-nodes", f.figures_at, "with pool-size, as shoald's [cpu] figures_at_nodes")->capture_default_str();
  app.add_option("--report-every-ms", f.report_every_ms, "report period")->capture_default_str()->check(CLI::Range(100, 3600000));
  app.add_option("--rng-seed", f.rng_seed, "seed of the peers' random choices")->capture_default_str();
  app.add_option("--period-ms", f.period_ms, "the peers' gossip period, as shoald's [gossip] period_ms")
      ->capture_default_str()->check(CLI::Range(5, 1000));
  app.add_option("--fanout", f.fanout, "the peers' fan-out, as shoald's [gossip] fanout")
      ->capture_default_str()->check(CLI::Range(1, 16));
  app.add_option("--sends", f.sends, "the peers' least sends of a new entry, as shoald's [gossip] sends")
      ->capture_default_str()->check(CLI::Range(1, 16));
  app.add_flag("--print-policy", f.print_policy, "print the policy document for this workload and exit");
  app.set_version_flag("--version", VersionText("shoal-emulate", 0, 0));
  CLI11_PARSE(app, argc, argv);
  if (f.print_policy) {
    fmt::print("{}", Load(f.apps).Policy());
    return 0;
  }
  if (f.key_file.empty() || f.seeds.empty()) {
    fmt::print(stderr, "shoal-emulate: --key-file and --seed are required (see --help)\n");
    return 2;
  }
  emu::EmulatedPoolOptions o;
  o.peers = f.peers;
  o.cpus = f.cpus;
  o.history = !f.no_history;
  o.seed = f.rng_seed;
  o.gossip.period = std::chrono::milliseconds(f.period_ms);
  o.gossip.fanout = f.fanout;
  o.gossip.sends = f.sends;
  if (auto valid = o.gossip.Validate(); !valid.ok()) {
    fmt::print(stderr, "shoal-emulate: {}\n", valid.error().message);
    return 2;
  }
  o.workload = [load = Load(f.apps)](size_t i, sim::SimMachine& m) { load.Run(i, m); };
  auto first = Endpoint::Parse(f.first_address);
  if (!first.ok()) {
    fmt::print(stderr, "shoal-emulate: --first-address: {}\n", first.error().message);
    return 2;
  }
  o.first_address = *first;
  for (const auto& s : f.seeds) {
    auto e = Endpoint::Parse(s);
    if (!e.ok()) {
      fmt::print(stderr, "shoal-emulate: --seed: {}\n", e.error().message);
      return 2;
    }
    o.seeds.push_back(*e);
  }
  auto from = engine::ParsePlanFrom(f.plan_from);
  if (!from.ok()) {
    fmt::print(stderr, "shoal-emulate: --plan-from: {}\n", from.error().message);
    return 2;
  }
  o.planning = {*from, f.figures_at};
  auto keyring = daemon::LoadKeyFile(f.key_file);
  if (!keyring.ok()) {
    fmt::print(stderr, "shoal-emulate: {}\n", keyring.error().message);
    return 1;
  }
  // Each peer holds a UDP socket, a listener and a peer-stream socket per
  // peer it talks to: about 160 descriptors a peer at 128 nodes, twice the
  // 20,000 a machine may give by default at 256.
  if (auto limit = RaiseFileLimit(1024 + 320 * o.peers); !limit.ok()) {
    fmt::print(stderr, "shoal-emulate: {}: peers will fail to connect once it is reached\n", limit.error().message);
  }
  spdlog::set_level(spdlog::level::err);  // hundreds of engines say the same things
  boost::asio::io_context io;
  auto pool = emu::EmulatedPool::Open(io, std::move(o), *keyring);
  if (!pool.ok()) {
    fmt::print(stderr, "shoal-emulate: {}\n", pool.error().message);
    return 1;
  }
  (*pool)->Start();
  boost::asio::steady_timer report(io);
  Report(report, **pool, std::chrono::milliseconds(f.report_every_ms));
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  fmt::print("emulator: {} peers from {} up, seeding {}\n", (*pool)->size(), f.first_address, fmt::join(f.seeds, ", "));
  std::fflush(stdout);
  io.run();
  return 0;
}
