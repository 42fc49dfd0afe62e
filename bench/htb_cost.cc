// What shoald's pipe enforcer costs per credit round: HtbEnforcer::Apply
// (every class's rate and ceil set through netlink) and Read (every class's
// counters) with N applications on one interface. Run inside a network
// namespace with a veth named v0 (bench/htb_cost.sh makes one); it takes
// the interface and hands it back.
#include <algorithm>
#include <chrono>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/percentile.h"
#include "daemon/htb_enforcer.h"

using namespace shoal;

namespace {

double Ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"htb-cost: netlink cost of the pipe enforcer per round, inside a namespace with a v0 interface"};
  size_t apps = 10;
  int rounds = 100;
  int change_every = 1;
  app.add_option("--apps", apps, "applications (classes besides the node's, rogue and outside ones)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--rounds", rounds, "rounds timed")->check(CLI::Range(1, 100000));
  app.add_option("--change-every", change_every,
                 "each class's rate changes every K rounds (1: every class every round, the worst case)")
      ->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);

  policy::PolicyDocument doc;
  for (size_t i = 0; i < apps; ++i) {
    policy::ApplicationSpec a;
    a.name = fmt::format("app-{}", i);
    const auto port = static_cast<uint16_t>(10000 + i);
    a.flows.push_back({std::pair<uint16_t, uint16_t>{port, port}, std::nullopt, policy::Protocol::kTcp, 0});
    doc.applications.push_back(a);
  }
  daemon::PipePlacement p;
  p.pipe = "uplink";
  p.interface = "v0";
  auto e = daemon::HtbEnforcer::Create({p});
  if (!e.ok()) {
    fmt::print(stderr, "htb-cost: {}\n", e.error().message);
    return 1;
  }
  daemon::HtbEnforcer& h = **e;
  (void)h.SetDocument(doc);
  auto setting = [&](int round) {
    engine::LaneSetting s{{"uplink", policy::Direction::kOut}, 125'000'000, {}};
    for (size_t i = 0; i <= apps; ++i) {
      const int step = (round + static_cast<int>(i)) / change_every;  // changes every K rounds
      const uint64_t rate = 100'000 + static_cast<uint64_t>((step * 7 + static_cast<int>(i)) % 100) * 1000;
      s.classes.push_back({i < apps ? doc.applications[i].name : engine::kRogueClass, rate, 125'000'000});
    }
    return s;
  };
  const auto b0 = std::chrono::steady_clock::now();
  if (auto s = h.Apply({setting(0)}); !s.ok()) {
    fmt::print(stderr, "htb-cost: {}\n", s.error().message);
    return 1;
  }
  const double build_ms = Ms(std::chrono::steady_clock::now() - b0);
  std::vector<double> apply, read;
  for (int r = 1; r <= rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    (void)h.Apply({setting(r)});
    auto t1 = std::chrono::steady_clock::now();
    (void)h.Read();
    auto t2 = std::chrono::steady_clock::now();
    apply.push_back(Ms(t1 - t0));
    read.push_back(Ms(t2 - t1));
  }
  (void)h.Release();
  const double apply_p50 = Percentile(apply, 50), read_p50 = Percentile(read, 50);
  fmt::print("{{\"apps\": {}, \"classes\": {}, \"change_every\": {}, \"build_ms\": {:.2f}, \"apply_p50_ms\": {:.3f}, \"apply_p99_ms\": {:.3f}, "
             "\"read_p50_ms\": {:.3f}, \"read_p99_ms\": {:.3f}, \"core_pct_at_10_rounds_per_s\": {:.3f}}}\n",
             apps, apps + 4, change_every, build_ms, apply_p50, Percentile(apply, 99), read_p50, Percentile(read, 99),
             (apply_p50 + read_p50) * 10 / 1000 * 100);
  return 0;
}
