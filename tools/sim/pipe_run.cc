#include "tools/sim/pipe_run.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include <fmt/format.h>

#include "core/percentile.h"
#include "tools/sim/full_pool.h"

namespace shoal::sim {
namespace {

constexpr double kCapacity = 125e6;   // 1Gbit
constexpr double kBooking = 0.3 * kCapacity;
constexpr double kWeb = 50e6, kBatch = 200e6;
const engine::PipeLane kUplink{"uplink", policy::Direction::kOut};

constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="1Gbit"/>
  <application name="web"><process cmdline="web"/></application>
  <application name="batch"><process cmdline="batch"/></application>
  <policy application="web" priority="1"><bandwidth pipe="uplink" direction="out" percent="30%"/></policy>
</shoal-policy>)";

Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

struct Figures {
  double mean = 0, max = 0, least_used = 1, least_steady = 1, booked_met = 0;
  std::vector<double> follow_ms;  // per shift
  double bytes_per_node_s = 0;
};

// The 1 s and 100 ms windows of the run after `from`.
Figures Measure(FullPool& p, TimePoint from, const std::vector<TimePoint>& shifts, double web_offered) {
  Figures f;
  SimPipes& pipes = p.pipes();
  const auto all = pipes.Rates(pipes.Carried(0), from, std::chrono::seconds(1));
  const auto web = pipes.Rates(pipes.CarriedOf(0, "web"), from, std::chrono::seconds(1));
  if (all.empty()) return f;

  f.mean = std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size()) / kCapacity;
  f.max = *std::max_element(all.begin(), all.end()) / kCapacity;
  f.least_used = *std::min_element(all.begin(), all.end()) / kCapacity;
  // The windows no shift of batch falls in.
  for (size_t w = 0; w < all.size(); ++w) {
    const TimePoint begin = from + std::chrono::seconds(w), end = begin + std::chrono::seconds(1);
    const bool shifted = std::any_of(shifts.begin(), shifts.end(), [&](TimePoint s) { return s >= begin && s < end; });
    if (!shifted) f.least_steady = std::min(f.least_steady, all[w] / kCapacity);
  }
  const double owed = std::min(web_offered, kBooking);
  f.booked_met = static_cast<double>(std::count_if(web.begin(), web.end(), [&](double r) { return r >= 0.98 * owed; })) /
                 static_cast<double>(web.size());
  for (TimePoint s : shifts) {
    const auto fine = pipes.Rates(pipes.Carried(0), s, std::chrono::milliseconds(100));
    auto it = std::find_if(fine.begin(), fine.end(), [](double r) { return r >= 0.97 * kCapacity; });
    f.follow_ms.push_back(it == fine.end() ? -1 : 100.0 * static_cast<double>(it - fine.begin()));
  }
  return f;
}

void Print(const PipeRunFlags& fl, size_t nodes, Figures& f, double wall_s) {
  std::vector<double> follow = f.follow_ms;
  const double follow_p50 = follow.empty() ? -1 : Percentile(follow, 50);
  const double follow_max = follow.empty() ? -1 : *std::max_element(follow.begin(), follow.end());
  if (fl.json) {
    fmt::print("{{\"nodes\": {}, \"seed\": {}, \"loss\": {}, \"duration_s\": {}, \"pipe_loop\": {}, "
               "\"aggregate_mean\": {:.4f}, \"aggregate_max\": {:.4f}, \"least_used\": {:.4f}, \"least_steady\": {:.4f}, "
               "\"booked_met_windows\": {:.4f}, \"follow_p50_ms\": {:.0f}, \"follow_max_ms\": {:.0f}, "
               "\"bytes_per_node_per_s\": {:.0f}, \"wall_s\": {:.2f}}}\n",
               nodes, fl.seed, fl.loss, fl.duration_s, fl.pipe_loop, f.mean, f.max, f.least_used, f.least_steady, f.booked_met,
               follow_p50, follow_max, f.bytes_per_node_s, wall_s);
    return;
  }
  fmt::print("{} whole nodes sharing a 1 Gbit/s uplink, loss {:.0f}%, seed {}, {} s after a {} s warm-up{}\n", nodes,
             fl.loss * 100, fl.seed, fl.duration_s, fl.warmup_s, fl.pipe_loop ? "" : ", WITHOUT the pipe loop");
  fmt::print("  aggregate / capacity, 1 s windows     mean {:.3f}  max {:.3f}\n", f.mean, f.max);
  fmt::print("  capacity used (demand exceeds it)     least {:.1f}% of a 1 s window, {:.1f}% of one without a shift\n",
             f.least_used * 100, f.least_steady * 100);
  fmt::print("  web's booking met                     in {:.1f}% of 1 s windows (>= 0.98 x min(demand, booking))\n",
             f.booked_met * 100);
  fmt::print("  a shift of batch followed (97% used)  median {:.0f} ms  max {:.0f} ms over {} shifts\n", follow_p50,
             follow_max, f.follow_ms.size());
  fmt::print("  traffic per node                      {:.1f} KB/s sent+received (UDP)\n", f.bytes_per_node_s / 1000);
  fmt::print("  ran in {:.1f} s of wall time\n", wall_s);
}

}  // namespace

int RunPipes(const PipeRunFlags& fl) {
  const auto wall0 = std::chrono::steady_clock::now();
  FullPoolOptions o = LanPool(fl.nodes, fl.seed, fl.loss);
  o.lanes = {SimLane{kUplink, static_cast<uint64_t>(kCapacity)}};
  o.pipe_loop = fl.pipe_loop;
  FullPool p(o);
  // batch's server: a new one every shift, drawn from the seed.
  auto shift = std::make_shared<size_t>(0);
  const size_t web_nodes = (fl.nodes + 7) / 8;
  for (size_t i = 0; i < fl.nodes; ++i) {
    p.pipes().Offer(i, kUplink, "batch", [shift, i](TimePoint) { return *shift == i ? kBatch : 0.0; });
    if (i % 8 == 0) p.pipes().Offer(i, kUplink, "web", [web_nodes](TimePoint) { return kWeb / web_nodes; });
  }
  p.StartFormed();
  p.RunFor(std::chrono::seconds(1));
  auto v = p.Push(0, kPolicy);
  if (!v.ok()) {
    fmt::print(stderr, "shoal-sim: the pipe policy was refused: {}\n", v.error().message);
    return 1;
  }
  p.RunFor(Seconds(fl.warmup_s));
  const TimePoint from = p.now();
  const uint64_t bytes0 = p.Traffic().udp_bytes;
  Random draw(fl.seed ^ 0x919eULL);
  std::vector<TimePoint> shifts;
  while (p.now() - from < Seconds(fl.duration_s)) {
    p.RunFor(std::min(Seconds(fl.shift_s), Seconds(fl.duration_s) - (p.now() - from)));
    if (p.now() - from >= Seconds(fl.duration_s)) break;
    *shift = (*shift + 1 + draw.Below(fl.nodes - 1)) % fl.nodes;
    shifts.push_back(p.now());
  }
  Figures f = Measure(p, from, shifts, kWeb);
  f.bytes_per_node_s = static_cast<double>(p.Traffic().udp_bytes - bytes0) / fl.duration_s / static_cast<double>(fl.nodes);
  Print(fl, fl.nodes, f, std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  return 0;
}

}  // namespace shoal::sim
