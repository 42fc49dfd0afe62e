#include <algorithm>
#include <numeric>

#include <catch2/catch.hpp>

#include "core/fair_share.h"
#include "core/random.h"

using namespace shoal;

namespace {

FairShareResult Allocate(double capacity, std::vector<FairShareRequest> consumers,
                         Leftover leftover = Leftover::kReserve) {
  return AllocateFairShare(capacity, consumers, leftover);
}

}  // namespace

TEST_CASE("Fair share: a whole level fits, the next is shared max-min") {
  // web needs 2 for level 1 and 4 in all; batch nothing for level 1, 8 in all.
  auto r = Allocate(10, {{{2, 4}}, {{0, 8}}});
  // Level 1 (2) fits. Level 2 asks 2 + 8 = 10 of the 8 left: both rise
  // together from 2, web stops at 4, batch takes the remaining 2 to 6.
  REQUIRE(r.amounts[0] == Approx(4));
  REQUIRE(r.amounts[1] == Approx(6));
  REQUIRE(r.reserve == Approx(0));
  REQUIRE(r.levels.size() == 2);
  REQUIRE(r.levels[0].fit);
  REQUIRE_FALSE(r.levels[1].fit);
  REQUIRE(r.levels[1].asked == Approx(10));
  REQUIRE(r.levels[1].granted == Approx(8));
  REQUIRE(r.levels[1].water == Approx(6));
}

TEST_CASE("Fair share: a level that does not fit raises the lowest first, then splits equally") {
  // 6 for requests 4, 4, 1: the small one is met, the two large split 5.
  auto r = Allocate(6, {{{4}}, {{4}}, {{1}}});
  REQUIRE(r.amounts[0] == Approx(2.5));
  REQUIRE(r.amounts[1] == Approx(2.5));
  REQUIRE(r.amounts[2] == Approx(1));
  REQUIRE(r.reserve == Approx(0));
}

TEST_CASE("Fair share: everything fits and the rest is reserve, or spread by option") {
  auto r = Allocate(10, {{{2}}, {{3}}});
  REQUIRE(r.amounts[0] == Approx(2));
  REQUIRE(r.amounts[1] == Approx(3));
  REQUIRE(r.reserve == Approx(5));
  auto s = Allocate(10, {{{2}}, {{3}}}, Leftover::kSpread);
  REQUIRE(s.amounts[0] == Approx(4.5));
  REQUIRE(s.amounts[1] == Approx(5.5));
  REQUIRE(s.reserve == Approx(0));
}

TEST_CASE("Fair share: minimums come first, also for consumers asking less") {
  auto r = Allocate(10, {{{0, 0}, 1}, {{9, 9}, 1}});
  REQUIRE(r.amounts[0] == Approx(1));
  REQUIRE(r.amounts[1] == Approx(9));
  REQUIRE(r.minimums == Approx(2));
  // Minimums that do not fit are shared equally; no level gets anything.
  auto tight = Allocate(1, {{{5}, 1}, {{5}, 1}, {{5}, 1}});
  for (double a : tight.amounts) REQUIRE(a == Approx(1.0 / 3));
  REQUIRE(tight.levels[0].granted == Approx(0));
}

TEST_CASE("Fair share: a consumer asking less at a later level keeps what it had") {
  // a: 4 at level 1, only 2 cumulative at level 2 (it keeps 4);
  // b: 1 then 8. Level 2 has 5 left for b's 7.
  auto r = Allocate(10, {{{4, 2}}, {{1, 8}}});
  REQUIRE(r.amounts[0] == Approx(4));
  REQUIRE(r.amounts[1] == Approx(6));
  REQUIRE(r.levels[1].asked == Approx(7));
}

TEST_CASE("Fair share: fewer levels means the last amount repeats, and no consumers is all reserve") {
  auto r = Allocate(10, {{{3}}, {{1, 2, 9}}});
  REQUIRE(r.amounts[0] == Approx(3));
  REQUIRE(r.amounts[1] == Approx(7));
  auto none = Allocate(7, {});
  REQUIRE(none.amounts.empty());
  REQUIRE(none.reserve == Approx(7));
}

TEST_CASE("Cumulative rounder keeps the total and moves each value by less than one") {
  std::vector<double> fifths(5, 0.4);
  REQUIRE(RoundCumulative(fifths) == std::vector<int64_t>{0, 1, 0, 1, 0});
  REQUIRE(RoundCumulative(std::vector<double>{2.5, 2.5}) == std::vector<int64_t>{3, 2});
  // 0.1 + 0.2 + 0.2 is 0.5 up to floating-point noise: it still rounds up.
  REQUIRE(RoundCumulative(std::vector<double>{0.1, 0.2, 0.2}) == std::vector<int64_t>{0, 0, 1});
  REQUIRE(RoundCumulative(std::vector<double>{}).empty());

  Random rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<double> v(1 + rng.Below(40));
    for (double& x : v) x = rng.Unit() * 100;
    auto ints = RoundCumulative(v);
    double total = std::accumulate(v.begin(), v.end(), 0.0);
    int64_t int_total = std::accumulate(ints.begin(), ints.end(), int64_t{0});
    REQUIRE(std::abs(static_cast<double>(int_total) - total) <= 0.5 + 1e-6);
    for (size_t i = 0; i < v.size(); ++i) {
      REQUIRE(std::abs(static_cast<double>(ints[i]) - v[i]) < 1.0 + 1e-6);
    }
  }
}

TEST_CASE("Fair share properties over random consumers") {
  Random rng(2026);
  for (int round = 0; round < 3000; ++round) {
    size_t n = 1 + rng.Below(12);
    size_t levels = 1 + rng.Below(4);
    double capacity = rng.Unit() * 50;
    bool with_minimum = rng.Chance(0.3);
    std::vector<FairShareRequest> c(n);
    for (auto& r : c) {
      double cumulative = 0;
      size_t mine = rng.Chance(0.2) ? 1 + rng.Below(levels) : levels;
      for (size_t l = 0; l < mine; ++l) {
        // Mostly non-decreasing, sometimes asking less at a later level.
        cumulative = rng.Chance(0.15) ? rng.Unit() * cumulative : cumulative + rng.Unit() * 10;
        r.levels.push_back(cumulative);
      }
      if (with_minimum) r.minimum = rng.Unit() * 2;
    }
    Leftover leftover = rng.Chance(0.5) ? Leftover::kReserve : Leftover::kSpread;
    auto out = AllocateFairShare(capacity, c, leftover);
    INFO("round " << round);

    double sum = std::accumulate(out.amounts.begin(), out.amounts.end(), 0.0);
    REQUIRE(sum + out.reserve == Approx(capacity).margin(1e-9));
    REQUIRE(out.reserve >= 0);
    for (double a : out.amounts) REQUIRE(a >= 0);
    if (leftover == Leftover::kSpread) REQUIRE(out.reserve == 0);

    // Replay level by level: fitting levels meet every request; the first
    // one that does not is max-min: everyone below its target sits at one
    // common water level and nobody above it was raised past its target.
    for (const auto& o : out.levels) REQUIRE(o.granted <= o.asked + 1e-9);
    if (leftover == Leftover::kReserve) {
      for (size_t i = 0; i < n; ++i) {
        double ceiling = c[i].minimum;
        for (double x : c[i].levels) ceiling = std::max(ceiling, x);
        REQUIRE(out.amounts[i] <= ceiling + 1e-9);
      }
      size_t first_partial = out.levels.size();
      for (size_t l = 0; l < out.levels.size(); ++l) {
        if (!out.levels[l].fit) {
          first_partial = l;
          break;
        }
      }
      bool minimums_fit = out.minimums + 1e-9 >= std::accumulate(c.begin(), c.end(), 0.0,
          [](double s, const FairShareRequest& r) { return s + r.minimum; });
      for (size_t i = 0; i < n && minimums_fit; ++i) {
        // Every consumer got at least what the last fitting level asked.
        double need = c[i].minimum;
        for (size_t l = 0; l < first_partial; ++l) {
          need = std::max(need, c[i].levels[std::min(l, c[i].levels.size() - 1)]);
        }
        REQUIRE(out.amounts[i] >= need - 1e-9);
      }
      if (first_partial < out.levels.size() && first_partial + 1 == out.levels.size() &&
          minimums_fit && out.levels[first_partial].granted > 1e-9) {
        // The last level was the partial one: the ones still short share one level.
        double water = out.levels[first_partial].water;
        for (size_t i = 0; i < n; ++i) {
          double target = c[i].levels.back();
          double earlier = c[i].minimum;
          for (size_t l = 0; l < first_partial; ++l) {
            earlier = std::max(earlier, c[i].levels[std::min(l, c[i].levels.size() - 1)]);
          }
          target = std::max(target, earlier);
          if (out.amounts[i] < target - 1e-7 && out.amounts[i] > earlier + 1e-7) {
            REQUIRE(out.amounts[i] == Approx(water).margin(1e-7));
          }
          if (out.amounts[i] < target - 1e-7) REQUIRE(out.amounts[i] >= water - 1e-7);
        }
        REQUIRE(out.reserve == Approx(0).margin(1e-9));
      }
    }
  }
}

TEST_CASE("RaiseMaxMin: one water level, the whole budget spent, from equal or unequal starts") {
  Random rng(5);
  for (int round = 0; round < 3000; ++round) {
    size_t n = 1 + rng.Below(rng.Chance(0.2) ? 300 : 20);
    bool equal = rng.Chance(0.5);
    // Breakpoints on a few whole values: many ties around every pivot.
    bool few_values = rng.Chance(0.3);
    auto amount = [&](double scale) { return few_values ? static_cast<double>(rng.Below(4)) : rng.Unit() * scale; };
    std::vector<double> alloc(n), target(n);
    double start = amount(5);
    double need = 0;
    for (size_t i = 0; i < n; ++i) {
      alloc[i] = equal ? start : amount(10);
      target[i] = rng.Chance(0.1) ? alloc[i] * rng.Unit() : alloc[i] + amount(10);
      need += std::max(0.0, target[i] - alloc[i]);
    }
    double budget = need * rng.Unit();
    std::vector<double> before = alloc;
    double water = 0;
    double spent = RaiseMaxMin(alloc, target, budget, &water);
    INFO("round " << round << " n " << n << " equal starts " << equal << " few values " << few_values);
    REQUIRE(spent == Approx(budget).margin(1e-9));
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      // Everyone ends at min(target, water), never below where it started.
      double expect = target[i] > before[i] ? std::max(before[i], std::min(target[i], water)) : before[i];
      REQUIRE(alloc[i] == Approx(expect).margin(1e-9));
      total += alloc[i] - before[i];
    }
    REQUIRE(total == Approx(budget).margin(1e-9));
  }
}

TEST_CASE("RaiseMaxMin: a budget within rounding of nothing never gives everyone their target") {
  // Eleven consumers at one start whose sum does not round back to eleven
  // times it: the water's cost at that start cancels to a rounding error,
  // which must not read as over a budget of 1e-16 (the level would then
  // lie below every start and everyone would be raised to their target).
  Random rng(11);
  for (int round = 0; round < 200; ++round) {
    const double start = rng.Unit();
    std::vector<double> alloc(11, start), target(11);
    for (double& t : target) t = start + 1 + rng.Unit() * 10;
    const double spent = RaiseMaxMin(alloc, target, 1e-16);
    INFO("round " << round << " start " << start);
    REQUIRE(spent < 1e-9);
    for (double a : alloc) REQUIRE(a == Approx(start).margin(1e-9));
  }
}
