// Pipes on the whole-node simulator (tools/sim/full_pool.h, sim_pipes.h):
// complete node engines measure, exchange and divide one shared pipe in
// virtual time, and the simulated HTB classes carry what they allow.
#include <algorithm>

#include <catch2/catch.hpp>

#include "daemon/engine/pipe_report.h"
#include "store/figures.h"
#include "tools/sim/full_pool.h"

using namespace shoal;
using namespace shoal::sim;
using namespace std::chrono_literals;

namespace {

constexpr double kCapacity = 10e6;  // bytes per second: the policy's 10MB
constexpr double kBooking = 3e6;    // web's

constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="10MB"/>
  <application name="web"><process cmdline="web"/></application>
  <application name="batch"><process cmdline="batch"/></application>
  <policy application="web" priority="1"><bandwidth pipe="uplink" direction="out" rate="3MB"/></policy>
</shoal-policy>)";

const engine::PipeLane kUplink{"uplink", policy::Direction::kOut};

FullPoolOptions Pool(size_t nodes, uint64_t seed) {
  FullPoolOptions o = LanPool(nodes, seed, 0);
  o.lanes = {SimLane{kUplink, static_cast<uint64_t>(kCapacity)}};
  return o;
}

RateCurve Constant(double bytes_per_s) {
  return [bytes_per_s](TimePoint) { return bytes_per_s; };
}

// Starts the pool and has the policy active everywhere.
void Form(FullPool& p) {
  p.StartFormed();
  p.RunFor(1s);
  auto v = p.Push(0, kPolicy);
  REQUIRE(v.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*v) == p.size(); }, 5s));
}

// A node's view of the pool's pipes, as `shoalctl pipes` shows it.
std::vector<engine::PipeLaneReport> Report(engine::NodeEngine& e) {
  const auto effective = e.policies().Effective(0);
  const std::string version = e.policies().version_text();
  return engine::ReportPipes({*e.policies().active(), version, effective, e.pipes().figures(),
                              e.pipes().options().interval, e.pipes().failed_check()});
}

}  // namespace

TEST_CASE("pipe pool of 16: never above capacity, all of it used, the booking met") {
  FullPool p(Pool(16, 21));
  for (size_t i = 0; i < 16; ++i) {
    p.pipes().Offer(i, kUplink, "batch", Constant(2e6));  // 32 MB/s in all
    if (i < 4) p.pipes().Offer(i, kUplink, "web", Constant(1e6));  // 4 MB/s
  }
  Form(p);
  REQUIRE(p.engine(3).pipes().lanes().size() == 1);
  CHECK(p.engine(3).pipes().lanes()[0].lane.capacity == static_cast<uint64_t>(kCapacity));
  p.RunFor(2s);
  const TimePoint from = p.now();
  // The nodes' own credits for one round add up to at most the round's
  // bytes plus one frame per node, whenever they have all divided it.
  size_t rounds_compared = 0;
  for (int k = 0; k < 200; ++k) {
    p.RunFor(50ms);
    uint64_t sum = 0;
    const uint64_t round = p.engine(0).pipes().lanes()[0].round;
    bool same = true;
    for (size_t i = 0; i < 16; ++i) {
      const auto& lane = p.engine(i).pipes().lanes()[0];
      same = same && lane.round == round;
      sum += lane.node_credit;
    }
    if (!same) continue;
    ++rounds_compared;
    CHECK(sum <= static_cast<uint64_t>(kCapacity / 10) + 16 * 1'514);
  }
  CHECK(rounds_compared > 100);
  const auto all = p.pipes().Rates(p.pipes().Carried(0), from, 1s);
  const auto web = p.pipes().Rates(p.pipes().CarriedOf(0, "web"), from, 1s);
  REQUIRE(all.size() == 10);
  CHECK(*std::max_element(all.begin(), all.end()) <= 1.02 * kCapacity);
  CHECK(*std::min_element(all.begin(), all.end()) >= 0.97 * kCapacity);
  CHECK(*std::min_element(web.begin(), web.end()) >= 0.98 * kBooking);
  // Every node took part in every round.
  for (size_t i = 0; i < 16; ++i) CHECK(p.engine(i).pipes().lanes()[0].participants == 16);

  // The same pipe in monitor mode: the classes only count (a new document
  // with the same lanes: its rounds start afresh).
  std::string monitor = kPolicy;
  monitor.replace(monitor.find("mode=\"enforce\""), 14, "mode=\"monitor\"");
  auto m = p.Push(0, monitor);
  REQUIRE(m.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*m) == p.size(); }, 5s));
  const TimePoint counting = p.now();
  p.RunFor(2s);
  const auto counted = p.pipes().Rates(p.pipes().Carried(0), counting + 1s, 1s);
  CHECK(counted.at(0) == Approx(36e6).epsilon(0.01));
  CHECK(p.engine(3).pipes().lanes()[0].demand[1] > 0);  // still measured

  // A policy without the pipe: every node hands its classes back.
  auto v = p.Push(0, R"(<shoal-policy version="1" mode="enforce">
  <application name="web"><process cmdline="web"/></application>
</shoal-policy>)");
  REQUIRE(v.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*v) == p.size(); }, 5s));
  const TimePoint free = p.now();
  p.RunFor(2s);
  const auto unshaped = p.pipes().Rates(p.pipes().Carried(0), free + 1s, 1s);
  CHECK(unshaped.at(0) == Approx(36e6).epsilon(0.01));  // all that is offered
}

TEST_CASE("pipe pool of 16: an idle booking is used by others and given back within 300 ms") {
  FullPool p(Pool(16, 22));
  TimePoint starts{};
  for (size_t i = 0; i < 16; ++i) p.pipes().Offer(i, kUplink, "batch", Constant(2e6));
  p.pipes().Offer(5, kUplink, "web", [&starts](TimePoint t) { return starts != TimePoint{} && t >= starts ? 4e6 : 0; });
  Form(p);
  p.RunFor(2s);
  const TimePoint idle = p.now();
  p.RunFor(3s);
  const auto before = p.pipes().Rates(p.pipes().Carried(0), idle, 1s);
  CHECK(*std::min_element(before.begin(), before.end()) >= 0.97 * kCapacity);

  starts = p.now();
  p.RunFor(3s);
  const auto web = p.pipes().Rates(p.pipes().CarriedOf(0, "web"), starts, 100ms);
  const auto met = std::find_if(web.begin(), web.end(), [](double r) { return r >= 0.98 * kBooking; });
  REQUIRE(met != web.end());
  const auto took = (met - web.begin() + 1) * 100ms;
  INFO("web met its booking after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took <= 300ms);
  // And keeps it.
  std::string series;
  for (double r : web) series += std::to_string(static_cast<int>(r / 1000)) + " ";
  INFO("web, kB/s per 100 ms: " << series);
  CHECK(*std::min_element(met, web.end()) >= 0.98 * kBooking);
  const auto all = p.pipes().Rates(p.pipes().Carried(0), starts, 100ms);
  CHECK(*std::max_element(all.begin(), all.end()) <= 1.02 * kCapacity);
}

// DESIGN.md's target is 300 ms; at 100 ms rounds the pool takes three to
// four (bench/RESULTS.md says why), so this holds it to 400 ms.
TEST_CASE("pipe pool of 16: demand that moves between servers is followed within 400 ms") {
  FullPool p(Pool(16, 23));
  TimePoint t0{};
  // batch wants 20 MB/s from one server at a time, a new one every 2 s.
  for (size_t i = 0; i < 16; ++i) {
    p.pipes().Offer(i, kUplink, "batch", [&t0, i](TimePoint t) {
      if (t0 == TimePoint{} || t < t0) return i == 0 ? 20e6 : 0.0;
      return static_cast<size_t>((t - t0) / 2s) % 16 == i ? 20e6 : 0.0;
    });
  }
  Form(p);
  p.RunFor(2s);
  t0 = p.now();
  p.RunFor(10s);
  const auto all = p.pipes().Rates(p.pipes().Carried(0), t0, 100ms);
  REQUIRE(all.size() == 100);
  for (size_t shift = 0; shift < 5; ++shift) {
    // From 400 ms after each shift to the next, at least 97% used.
    const auto begin = all.begin() + static_cast<long>(shift * 20 + 4);
    const auto end = all.begin() + static_cast<long>(shift * 20 + 20);
    INFO("shift " << shift);
    CHECK(*std::min_element(begin, end) >= 0.97 * kCapacity);
  }
  CHECK(*std::max_element(all.begin(), all.end()) <= 1.02 * kCapacity);
}

TEST_CASE("pipe pool of 16: each node's last second reaches its history and every node's view of the pool") {
  FullPoolOptions o = Pool(16, 23);
  o.history = true;
  FullPool p(o);
  for (size_t i = 0; i < 16; ++i) {
    p.pipes().Offer(i, kUplink, "batch", Constant(2e6));
    if (i < 4) p.pipes().Offer(i, kUplink, "web", Constant(1e6));
  }
  Form(p);
  p.RunFor(4s);

  // Node 9's view of the pool: every carrier's last period.
  const auto report = Report(p.engine(9));
  REQUIRE(report.size() == 1);
  const engine::PipeLaneReport& lane = report[0];
  CHECK(lane.capacity == static_cast<uint64_t>(kCapacity));
  CHECK(lane.nodes.size() == 16);
  for (const auto& n : lane.nodes) CHECK(n.fallback >= 0.95 * (kCapacity - kBooking) / 16);  // and its booked part
  CHECK(lane.reserved == 0);
  INFO("used " << lane.figures.used << ", allocated " << lane.figures.allocated << ", demand " << lane.figures.demand);
  CHECK(lane.figures.used >= 0.9 * kCapacity);
  CHECK(lane.figures.used <= 1.02 * kCapacity);
  CHECK(lane.figures.allocated <= 1.03 * kCapacity);
  CHECK(lane.figures.demand > 2 * kCapacity);  // everyone wants more
  REQUIRE(lane.apps.size() == 3);  // web, batch, rogue
  CHECK(lane.apps[0].app == "web");
  CHECK(lane.apps[0].booked == static_cast<uint64_t>(kBooking));
  CHECK(lane.apps[0].nodes == 4);
  CHECK(lane.apps[0].figures.used >= 0.95 * kBooking);
  CHECK(lane.apps[1].nodes == 16);
  CHECK(lane.apps[2].figures.used == 0);

  // Node 2's history: the lane on this node and web's part of it, every second.
  store::SeriesQuery q;
  q.kind = store::SeriesKind::kPipe;
  q.origins = {p.engine(2).self()};
  const int64_t now_ms = p.engine(2).history()->store().last_ms();
  q.from_ms = now_ms - 2000;
  q.to_ms = now_ms + 1;
  q.step_ms = 1000;
  auto rows = p.engine(2).history()->store().Query(q);
  REQUIRE(rows.ok());
  std::map<std::string, store::Figures> last;
  for (const auto& r : rows->rows) last[r.name] = r.figures;
  REQUIRE(last.count("uplink/out") == 1);
  REQUIRE(last.count("uplink/out/web") == 1);
  CHECK(store::AvgCapacity(last["uplink/out"]) == Approx(kCapacity).epsilon(0.01));
  CHECK(store::AvgUsage(last["uplink/out"]) > 0.5 * kCapacity / 16);
  // Its part of web's booking: spread over the four nodes that want it.
  CHECK(store::AvgBooking(last["uplink/out/web"]) == Approx(kBooking / 4).epsilon(0.05));
  CHECK(store::AvgAllocation(last["uplink/out/web"]) > 0);
  CHECK(last.count("uplink/out/(rogue)") == 0);  // it did nothing
}

TEST_CASE("pipe pool of 16: a booking a partition's view cannot hold is raised as unmet, and as met once healed") {
  FullPoolOptions o = Pool(16, 24);
  o.history = true;
  FullPool p(o);
  // web books 8 MB/s of the 10 and wants 24, on nodes 0-3 and 8-11.
  std::string policy = kPolicy;
  policy.replace(policy.find("rate=\"3MB\""), 10, "rate=\"8MB\"");
  for (size_t i = 0; i < 16; ++i) p.pipes().Offer(i, kUplink, "batch", Constant(1e6));
  for (size_t i : {0, 1, 2, 3, 8, 9, 10, 11}) p.pipes().Offer(i, kUplink, "web", Constant(3e6));
  p.StartFormed();
  p.RunFor(1s);
  auto v = p.Push(0, policy);
  REQUIRE(v.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*v) == p.size(); }, 5s));
  p.RunFor(4s);
  auto events = [&](size_t node, const std::string& kind) {
    store::SeriesQuery q;
    q.kind = store::SeriesKind::kEvent;
    q.name = kind;
    q.origins = {p.engine(node).self()};
    const int64_t now_ms = p.engine(node).history()->store().last_ms();
    q.from_ms = now_ms - 60'000;
    q.to_ms = now_ms + 1;
    q.step_ms = 60'000;
    auto r = p.engine(node).history()->store().Query(q);
    if (!r.ok()) FAIL(r.error().message);
    return static_cast<int>(r->events.size());
  };
  // A pool-wide event is raised by one node of each view: count each half.
  auto half = [&](size_t first, const std::string& kind) {
    int n = 0;
    for (size_t i = first; i < first + 8; ++i) n += events(i, kind);
    return n;
  };
  CHECK(half(0, "booking.unmet") + half(8, "booking.unmet") == 0);  // the whole pipe in view: 8 MB/s of it for web

  // Half the pool out of view: each half keeps aside what the other's
  // classes fall back to (half of web's booking and a share of the rest)
  // and holds 5 MB/s: web's 8 cannot be met in either view.
  for (size_t i = 8; i < 16; ++i) p.pool().network().SetGroup(p.pool().node(i).identity().advertise, 1);
  REQUIRE(p.RunUntil([&] { return half(0, "booking.unmet") == 1 && half(8, "booking.unmet") == 1; }, 8s));
  p.pool().network().Heal();
  // Healed, the pool speaks with one voice again.
  REQUIRE(p.RunUntil([&] { return half(0, "booking.met") + half(8, "booking.met") >= 1; }, 10s));
  p.RunFor(2s);
  CHECK(half(0, "booking.met") + half(8, "booking.met") == 1);
}

TEST_CASE("pipe pool of 16: a crashed node's classes fall back to its static share, which the others keep aside") {
  FullPool p(Pool(16, 25));
  for (size_t i = 0; i < 16; ++i) p.pipes().Offer(i, kUplink, "batch", Constant(2e6));
  p.pipes().Offer(5, kUplink, "web", Constant(4e6));
  Form(p);
  p.RunFor(3s);
  const uint64_t fallback = p.engine(5).pipes().lanes()[0].fallback * 10;  // bytes per second
  INFO("node 5's static share: " << fallback << " bytes/s");
  // Its part of web's booking and a 16th of what the booking leaves.
  CHECK(static_cast<double>(fallback) >= 0.95 * (kBooking + (kCapacity - kBooking) / 16));
  CHECK(static_cast<double>(fallback) <= kBooking + (kCapacity - kBooking) / 16);

  p.pool().Crash(5);
  const TimePoint crashed = p.now();
  p.RunFor(15s);  // past the view's memory (10 s): the failed node is still kept aside
  const auto all = p.pipes().Rates(p.pipes().Carried(0), crashed + 3s, 1s);
  const auto web = p.pipes().Rates(p.pipes().CarriedOf(0, "web"), crashed + 1s, 1s);
  std::string series;
  for (double r : all) series += std::to_string(static_cast<int>(r / 1000)) + " ";
  INFO("pipe, kB/s per second from 3 s after the crash: " << series);
  CHECK(*std::max_element(all.begin(), all.end()) <= 1.02 * kCapacity);
  CHECK(*std::min_element(all.begin(), all.end()) >= 0.97 * kCapacity);
  // The crashed node's web keeps its booking, within the node's static share.
  CHECK(*std::min_element(web.begin(), web.end()) >= 0.98 * kBooking);
  CHECK(*std::max_element(web.begin(), web.end()) <= 1.02 * static_cast<double>(fallback));
  CHECK(p.engine(0).pipes().lanes()[0].reserved * 10 == fallback);
  // Node 0's view of the pool lists node 5 as failed, with its share.
  const auto report = Report(p.engine(0));
  REQUIRE(report.size() == 1);
  CHECK(report[0].reserved == fallback);
  REQUIRE(report[0].nodes.size() == 16);
  CHECK(report[0].nodes.back().node == p.engine(5).self());
  CHECK(report[0].nodes.back().failed);
  CHECK(report[0].nodes.back().fallback == fallback);
}
