// Whole-pool scenarios on the whole-node simulator (tools/sim/full_pool.h):
// complete node engines on simulated servers, in virtual time.
#include <algorithm>
#include <functional>
#include <optional>

#include <catch2/catch.hpp>

#include "daemon/pool_table.h"
#include "tools/sim/full_pool.h"
#include "tools/sim/plan_lag.h"

using namespace shoal;
using namespace shoal::sim;
using namespace std::chrono_literals;

namespace {

// gold: 50% of the pool at priority 1; bronze: 25% at priority 2.
constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <application name="gold"><process cmdline="gold"/></application>
  <application name="bronze"><process cmdline="bronze"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="50%"/></policy>
  <policy application="bronze" priority="2"><cpu pool-percent="25%"/></policy>
</shoal-policy>)";

// Every server is busy: bronze wants all 4 CPUs everywhere, gold 3 CPUs on
// the first half of the servers. Unenforced, gold gets half of each of its
// servers (2 of its 3 CPUs); its booking (50% of the pool) covers its
// whole demand.
FullPoolOptions Busy(size_t nodes, uint64_t seed) {
  FullPoolOptions o;
  o.pool.nodes = nodes;
  o.pool.seed = seed;
  o.pool.config = gossip::GossipConfig::Lan();
  o.workload = [nodes](size_t i, SimMachine& m) {
    m.Run("bronze", [](TimePoint) { return 4000.0; });
    if (i < nodes / 2) m.Run("gold", [](TimePoint) { return 3000.0; });
  };
  return o;
}

size_t NodesPlanning(FullPool& p, size_t nodes) {
  size_t n = 0;
  for (size_t i = 0; i < p.size(); ++i) n += p.running(i) && p.engine(i).cpu().plan().nodes.size() == nodes;
  return n;
}

// How many running engines raised `type` about `subject`, in all.
size_t Raised(FullPool& p, const std::string& type, const std::string& subject) {
  size_t n = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p.running(i)) continue;
    for (const auto& e : p.engine(i).events().Select({})) n += e.type() == type && e.subject() == subject;
  }
  return n;
}

size_t Running(FullPool& p) {
  size_t n = 0;
  for (size_t i = 0; i < p.size(); ++i) n += p.running(i);
  return n;
}

// Forms the pool, pushes kPolicy through node 0 and runs until every node
// enforces it, then `settle` more.
void PushAndSettle(FullPool& p, Duration settle) {
  p.StartFormed();
  p.RunFor(2s);
  auto v = p.Push(0, kPolicy);
  REQUIRE(v.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*v) == p.size(); }, 5s).has_value());
  p.RunFor(settle);
}

}  // namespace

TEST_CASE("whole pool of 128: a policy pushed under load is enforced everywhere and meets gold's booking") {
  FullPool p(Busy(128, 11));
  p.StartFormed();
  p.RunFor(3s);
  REQUIRE(NodesPlanning(p, 128) == 128);
  // No policy: nothing enforced, gold gets half of its server.
  CHECK(p.machine(0).Shares(p.now()).at("gold").usage_m == Approx(2000));

  auto v = p.Push(5, kPolicy);
  REQUIRE(v.ok());
  auto took = p.RunUntil([&] { return p.NodesEnforcing(*v) == 128; }, 5s);
  REQUIRE(took);
  CHECK(*took < 2s);
  p.RunFor(2s);
  CHECK(p.BookedMet("gold") > 0.99);
  CHECK(p.machine(0).Shares(p.now()).at("gold").usage_m == Approx(3000));
  const PlanSpread spread = p.Spread();
  CHECK(spread.nodes == 127);
  CHECK(spread.max < 0.001);  // every node computes the same plan
}

TEST_CASE("whole pool of 128: failed nodes leave every plan and the bookings are re-planned") {
  FullPool p(Busy(128, 12));
  p.StartFormed();
  p.RunFor(2s);
  auto v = p.Push(0, kPolicy);
  REQUIRE(v.ok());
  p.RunFor(3s);
  REQUIRE(p.NodesEnforcing(*v) == 128);
  for (size_t i = 60; i < 68; ++i) p.pool().Crash(i);  // four gold servers, four others
  auto took = p.RunUntil([&] { return NodesPlanning(p, 120) == 120; }, 15s, 50ms);
  REQUIRE(took);
  p.RunFor(2s);
  CHECK(p.Spread().max < 0.001);
  CHECK(p.BookedMet("gold") > 0.99);
  REQUIRE(Running(p) == 120);
  // Pool-wide events: raised once for the pool, not by each of 120 observers.
  CHECK(Raised(p, "policy.activated", fmt::format("r{}", v->revision)) == 1);
  for (size_t i = 60; i < 68; ++i) {
    CHECK(Raised(p, "node.failed", fmt::format("node-{}", i)) == 1);
  }
}

// Node `subject`'s instance of `app` as node `asked` plans it: its usage
// (millicores), or -1 when the plan has no such instance.
double PlannedUsage(FullPool& p, size_t asked, size_t subject, const std::string& app) {
  const policy::CpuPlan& plan = p.engine(asked).cpu().plan();
  const policy::NodePlan* node = plan.FindNode(p.pool().id(subject));
  const policy::AppPlan* a = plan.FindApp(app);
  if (!node || !a) return -1;
  for (size_t i : a->instances) {
    if (plan.instances[i].node == static_cast<size_t>(node - plan.nodes.data())) return plan.instances[i].usage;
  }
  return -1;
}

// How engine `i` sees a node back from a restart: whether it has it back,
// and whether it holds it wrongly (planned without its figures).
struct Sight {
  bool back = false, wrong = false;
};

struct Return {
  std::optional<Duration> took;  // until every engine had it back
  size_t wrong = 0;              // engine-ticks that held it wrongly meanwhile
};

// Restarts crashed node `x` and runs until every engine has it back (up to
// `limit`), counting the ticks on which an engine held it wrongly.
Return RestartAndWatch(FullPool& p, size_t x, const std::function<Sight(size_t)>& seen, Duration limit) {
  p.pool().Restart(x);
  Return r;
  r.took = p.RunUntil(
      [&] {
        bool back = true;
        for (size_t i = 0; i < p.size(); ++i) {
          const Sight s = seen(i);
          back = back && s.back;
          r.wrong += s.wrong;
        }
        return back;
      },
      limit);
  return r;
}

TEST_CASE("whole pool of 32: a restarted node's applications are back in every plan at their usage within 1 s") {
  // The node takes its first figures 250 ms after the policy activates
  // (a quarter period), not at its first regular sample, up to 1.5 s on.
  // Meanwhile it says it is settling, and its peers plan it from the last
  // status they had of it: it is never planned without its applications or
  // at no usage (the simulated node comes back without its policy, as a
  // wiped server does).
  for (uint64_t seed : {21, 22, 23}) {
    FullPool p(Busy(32, seed));
    PushAndSettle(p, 2s);
    const size_t x = 3;  // a gold server
    p.pool().Crash(x);
    REQUIRE(p.RunUntil([&] { return NodesPlanning(p, 31) == 31; }, 10s, 50ms));
    const Return r = RestartAndWatch(
        p, x,
        [&](size_t i) {
          const bool low = PlannedUsage(p, i, x, "gold") < 1000 || PlannedUsage(p, i, x, "bronze") < 500;
          // peers' plans holding x without its figures
          return Sight{!low, i != x && low && p.engine(i).cpu().plan().FindNode(p.pool().id(x)) != nullptr};
        },
        5s);
    INFO("seed " << seed);
    REQUIRE(r.took);
    CHECK(*r.took < 1s);
    CHECK(r.wrong == 0);
  }
}

TEST_CASE("whole pool of 8: a push is told once although the node that speaks for the pool runs a minute ahead") {
  // Every clock but the pusher's a minute ahead: to the node that raises
  // pool-wide events (the lowest id), the push's stamp looks a minute old.
  FullPoolOptions o = Busy(8, 31);
  size_t pusher = 0;  // the highest id: it never speaks for the pool
  o.wall_offset_ms = [&pusher](size_t i) -> int64_t { return i == pusher ? 0 : 60'000; };
  FullPool p(o);
  for (size_t i = 1; i < 8; ++i) {
    if (p.pool().id(pusher) < p.pool().id(i)) pusher = i;
  }
  p.StartFormed();  // the engines and their clocks are made here
  p.RunFor(2s);
  auto first = p.Push(pusher, kPolicy);
  REQUIRE(first.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*first) == 8; }, 5s));
  auto second = p.Push(pusher, kPolicy);
  REQUIRE(second.ok());
  REQUIRE(p.RunUntil([&] { return p.NodesEnforcing(*second) == 8; }, 5s));
  p.RunFor(1s);
  // The first is the first this pool ran: it has nothing to follow, and the
  // stamp decides (a minute old to the speaker). The second follows it.
  CHECK(Raised(p, "policy.activated", fmt::format("r{}", first->revision)) == 0);
  CHECK(Raised(p, "policy.activated", fmt::format("r{}", second->revision)) == 1);
}

TEST_CASE("whole pool of 128: a partition plans each side alone, and healing brings one plan back") {
  FullPool p(Busy(128, 13));
  p.StartFormed();
  p.RunFor(2s);
  auto v = p.Push(0, kPolicy);
  REQUIRE(v.ok());
  p.RunFor(3s);
  for (size_t i = 0; i < 128; i += 2) p.pool().network().SetGroup(p.pool().node(i).identity().advertise, 1);
  REQUIRE(p.RunUntil([&] { return NodesPlanning(p, 64) == 128; }, 20s, 100ms));
  p.pool().network().Heal();
  REQUIRE(p.RunUntil([&] { return NodesPlanning(p, 128) == 128; }, 20s, 100ms));
  p.RunFor(2s);
  CHECK(p.Spread().max < 0.001);
  CHECK(p.BookedMet("gold") > 0.99);
}

TEST_CASE("whole pool with history: every node's periods are held by its copies on peers") {
  FullPoolOptions o = Busy(12, 14);
  o.history = true;
  o.history_copies = 2;
  FullPool p(o);
  p.StartFormed();
  p.RunFor(2s);
  REQUIRE(p.Push(0, kPolicy).ok());
  p.RunFor(10s);
  CHECK(p.LeastHistoryCopies() >= 2);
  for (size_t i = 0; i < p.size(); ++i) REQUIRE(p.engine(i).history()->store().last_seq() >= 9);
}

TEST_CASE("whole pool of 32, planning from the live view or the snapshot epoch: one plan, or fresh figures") {
  // gold's demand moves every second on every server, at each server's own phase.
  auto moving = [](bool from_snapshot) {
    FullPoolOptions o = Busy(32, 21);
    o.plan_from_snapshot = from_snapshot;
    o.workload = [](size_t i, SimMachine& m) {
      m.Run("bronze", [](TimePoint) { return 4000.0; });
      m.Run("gold", [i](TimePoint t) {
        const double s = std::chrono::duration<double>(t.time_since_epoch()).count();
        return 1500 + 1000 * std::sin(s / 3 + static_cast<double>(i));
      });
    };
    return o;
  };
  struct Seen {
    size_t samples = 0, one_plan = 0, from_snapshot = 0;
    PlanLag lag;
  };
  auto run = [&](bool from_snapshot) {
    FullPool p(moving(from_snapshot));
    p.StartFormed();
    p.RunFor(2s);
    REQUIRE(p.Push(0, kPolicy).ok());
    p.RunFor(3s);
    Seen seen;
    for (int k = 0; k < 100; ++k) {
      p.RunFor(100ms);
      seen.lag.Observe(p);
      seen.lag.Sample(p);
      ++seen.samples;
      seen.one_plan += p.Spread().max < 1e-9;
    }
    seen.from_snapshot = seen.lag.from_snapshot();
    return seen;
  };
  const Seen live = run(false), snapshot = run(true);
  // Live: nodes briefly apart while a change spreads, each plan on figures
  // superseded for well under a second.
  CHECK(live.from_snapshot == 0);
  CHECK(live.one_plan < live.samples / 2);
  CHECK(live.lag.lag_ms().Percentile(99) < 300);
  // Snapshot: one plan on every node between epochs, on figures up to an epoch old.
  CHECK(snapshot.from_snapshot == snapshot.lag.node_samples());
  CHECK(snapshot.one_plan > snapshot.samples * 8 / 10);
  CHECK(snapshot.lag.lag_ms().Percentile(99) > 500);
  CHECK(snapshot.lag.lag_ms().Percentile(100) < 1500);
}

TEST_CASE("whole pool of 32 planning from the pool's figures: rows as the whole plan's, bookings delivered") {
  // gold's demand moves on every server at its own phase; bronze wants all.
  FullPoolOptions o = Busy(32, 23);
  o.planning.from = engine::PlanFrom::kFigures;
  o.workload = [](size_t i, SimMachine& m) {
    m.Run("bronze", [](TimePoint) { return 4000.0; });
    m.Run("gold", [i](TimePoint t) {
      const double s = std::chrono::duration<double>(t.time_since_epoch()).count();
      return 1500 + 1000 * std::sin(s / 20 + static_cast<double>(i));
    });
  };
  FullPool p(o);
  PushAndSettle(p, 3s);
  // Each engine holds its own row only, planned from the levels one node published.
  size_t representing = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    REQUIRE(p.engine(i).cpu().plan().nodes.size() == 1);
    REQUIRE(p.engine(i).figures() != nullptr);
    CHECK(p.engine(i).figures()->counters().levels_heard > 0);
    representing += p.engine(i).figures()->rollup().represents_pool();
  }
  CHECK(representing == 1);
  std::vector<double> gaps;
  for (int k = 0; k < 10; ++k) {
    p.RunFor(1s);
    const auto g = p.RowGaps();
    gaps.insert(gaps.end(), g.begin(), g.end());
    CHECK(p.BookedMet("gold") > 0.97);
  }
  std::sort(gaps.begin(), gaps.end());
  CHECK(gaps[gaps.size() * 99 / 100] < 2.0);  // % of a node's capacity
  // Every node reads the same pool-wide totals (triggers, app.squeezed,
  // metrics) from the levels, not its own row's.
  const policy::AppPlan* gold = p.engine(0).pool_plan().FindApp("gold");
  REQUIRE(gold != nullptr);
  CHECK(gold->demand > 32 * 500.0);
  CHECK(gold->usage > 0);
  CHECK(p.engine(0).figures()->levels()->instances[static_cast<size_t>(gold - p.engine(0).pool_plan().apps.data())] == 32);
  size_t same = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const policy::AppPlan* g = p.engine(i).pool_plan().FindApp("gold");
    same += g != nullptr && std::abs(g->demand - gold->demand) < 0.02 * gold->demand &&
            std::abs(g->allocated - gold->allocated) < 0.02 * gold->allocated;
  }
  CHECK(same >= 30);  // the totals reach every node once a second
  // A node that crashes leaves the figures: gold's entitlement follows the pool.
  const double before = p.engine(0).cpu().plan().FindApp("gold")->entitlement;
  p.pool().Crash(31);
  p.pool().Crash(30);
  p.RunFor(6s);
  CHECK(p.engine(0).cpu().plan().FindApp("gold")->entitlement == Approx(before * 30 / 32).epsilon(0.01));
}

namespace {

// Running engines planning from figures, and live statuses in engine
// `reader`'s view that are cards.
std::pair<size_t, size_t> FromFigures(FullPool& p, size_t reader) {
  size_t planning = 0, cards = 0;
  for (size_t i = 0; i < p.size(); ++i) planning += p.running(i) && p.engine(i).plans_from_figures();
  p.engine(reader).pool().ForEachLive([&](NodeId, const engine::PoolView::Node& n) { cards += n.status.card; });
  return {planning, cards};
}

}  // namespace

TEST_CASE("whole pool switching by its size: figures and cards from 24 nodes on, statuses again below 18") {
  FullPoolOptions o = Busy(32, 29);
  o.planning = {engine::PlanFrom::kPoolSize, 24};
  FullPool p(o);
  PushAndSettle(p, 4s);
  // 32 live: every node plans its own row from figures and publishes a card.
  const auto [planning, cards] = FromFigures(p, 0);
  CHECK(planning == 32);
  CHECK(cards == 32);
  CHECK(NodesPlanning(p, 1) == 32);
  // The log's pool table shows what a card does not carry as "-".
  CHECK_THAT(daemon::FormatPoolTable(p.pool().node(0), p.engine(0).pool(), p.now()),
             Catch::Contains("-/4") && !Catch::Contains("0.00/4"));
  CHECK(p.BookedMet("gold") > 0.97);
  // Nine fail: 23 live, still above three quarters of 24 (18).
  for (size_t i = 23; i < 32; ++i) p.pool().Crash(i);
  p.RunFor(6s);
  CHECK(FromFigures(p, 0).first == 23);
  // Six more: 17 live, below 18: every node plans from every node's full
  // status again, the whole plan of 17 nodes.
  for (size_t i = 17; i < 23; ++i) p.pool().Crash(i);
  p.RunFor(6s);
  const auto [planning_after, cards_after] = FromFigures(p, 0);
  CHECK(planning_after == 0);
  CHECK(cards_after == 0);
  // Live nodes' statuses again (the failed ones' last cards stay until reaped).
  CHECK_THAT(daemon::FormatPoolTable(p.pool().node(0), p.engine(0).pool(), p.now()), Catch::Contains("0.00/4"));
  CHECK(NodesPlanning(p, 17) == 17);
  CHECK(p.BookedMet("gold") > 0.97);
}

TEST_CASE("whole pool planning from figures: every node's detail and the pool's figures asked on demand") {
  FullPoolOptions o = Busy(32, 31);
  o.planning.from = engine::PlanFrom::kFigures;
  FullPool p(o);
  PushAndSettle(p, 3s);
  p.pool().Crash(31);
  p.RunFor(100ms);  // not yet declared failed: its call times out

  std::optional<engine::DetailService::Answers> answers;
  const TimePoint asked = p.now();
  TimePoint answered;
  p.detail(5).AskNodes(1s, [&](engine::DetailService::Answers a) {
    answers = std::move(a);
    answered = p.now();
  });
  REQUIRE(p.RunUntil([&] { return answers.has_value(); }, 3s).has_value());
  CHECK(answered - asked <= 1100ms);
  CHECK(answers->asked == 32);
  REQUIRE(answers->details.size() == 31);
  REQUIRE(answers->failures.size() == 1);
  // Node 3 runs gold and bronze: its full status and its rows, as its engine holds them.
  const engine::NodeDetail& d = answers->details.at(p.engine(3).self());
  CHECK(d.status.name == "node-3");
  CHECK_FALSE(d.status.card);
  CHECK(d.status.instances.size() == 2);
  REQUIRE(d.row.size() == 2);
  const policy::CpuPlan& plan = p.engine(3).cpu().plan();
  for (const engine::RowEntry& r : d.row) {
    const policy::AppPlan* app = plan.FindApp(r.app);
    REQUIRE(app != nullptr);
    CHECK(r.allocation_m == plan.instances[app->instances.front()].allocation);
    CHECK(r.period_us == 100'000);
  }
  // The pool's figures, from the node representing the pool: gold runs on 16.
  size_t rep = p.size();
  for (size_t i = 0; i < p.size(); ++i) {
    if (p.running(i) && p.engine(i).figures()->rollup().represents_pool()) rep = i;
  }
  REQUIRE(rep < p.size());
  std::optional<Result<policy::PoolFigures>> figures;
  p.detail(7).AskPoolFigures(p.engine(rep).self(), 1s, [&](Result<policy::PoolFigures> f) { figures = std::move(f); });
  REQUIRE(p.RunUntil([&] { return figures.has_value(); }, 2s).has_value());
  REQUIRE(figures->ok());
  CHECK((*figures)->apps.at("gold").instances == 16);
  CHECK((*figures)->apps.at("bronze").demand == Approx(4000.0 * (*figures)->apps.at("bronze").instances));
  // A node that does not represent the pool says so.
  std::optional<Result<policy::PoolFigures>> refused;
  p.detail(7).AskPoolFigures(p.engine(rep == 0 ? 1 : 0).self(), 1s,
                             [&](Result<policy::PoolFigures> f) { refused = std::move(f); });
  REQUIRE(p.RunUntil([&] { return refused.has_value(); }, 2s).has_value());
  REQUIRE_FALSE(refused->ok());
  CHECK_THAT(refused->error().message, Catch::Contains("does not hold the pool's figures"));
}

namespace {

// Engine `i`'s levels: the nodes in the pool's figures and gold's
// instances (-1, -1 before any).
std::pair<int, int> LevelsGold(FullPool& p, size_t i) {
  const policy::PoolLevels* levels = p.engine(i).figures()->levels();
  if (levels == nullptr) return {-1, -1};
  const policy::AppPlan* gold = levels->pool.FindApp("gold");
  const int instances = gold ? static_cast<int>(levels->instances[static_cast<size_t>(gold - levels->pool.apps.data())]) : 0;
  return {static_cast<int>(levels->nodes), instances};
}

}  // namespace

TEST_CASE("whole pool of 32 planning from figures: a restarted node joins the pool's figures once measured") {
  // As peers planning from statuses plan a settling node from its last
  // settled status, its part of the figures (no instances yet: the node
  // comes back without its policy, as a wiped server does) stays out of
  // the pool's while it settles: the figures move once, when it is
  // measured, never counting the node without its gold.
  for (uint64_t seed : {41, 42}) {
    FullPoolOptions o = Busy(32, seed);
    o.planning.from = engine::PlanFrom::kFigures;
    FullPool p(o);
    PushAndSettle(p, 3s);
    const size_t x = 3;  // a gold server
    p.pool().Crash(x);
    REQUIRE(p.RunUntil([&] { return LevelsGold(p, 0) == std::pair{31, 15}; }, 10s, 50ms));
    const Return r = RestartAndWatch(
        p, x,
        [&](size_t i) {
          // levels counting x without its gold are wrong
          const auto [nodes, gold] = LevelsGold(p, i);
          return Sight{nodes == 32 && gold == 16, nodes == 32 && gold < 16};
        },
        10s);
    INFO("seed " << seed);
    REQUIRE(r.took);
    CHECK(*r.took < 4s);
    CHECK(r.wrong == 0);
  }
}
