#include <catch2/catch.hpp>

#include "core/clock.h"
#include "core/random.h"

using namespace shoal;

TEST_CASE("ManualClock moves only when told") {
  ManualClock c;
  const TimePoint t0 = c.Now();
  REQUIRE(t0 > TimePoint{});
  c.Advance(milliseconds(20));
  REQUIRE(c.Now() - t0 == milliseconds(20));
  c.Set(t0 + seconds(5));
  REQUIRE(c.Now() - t0 == seconds(5));
}

TEST_CASE("Random is a pure function of its seed") {
  Random a(42), b(42), c(43);
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.Next());
    vb.push_back(b.Next());
    vc.push_back(c.Next());
  }
  REQUIRE(va == vb);
  REQUIRE(va != vc);
}

TEST_CASE("Random ranges stay in bounds and cover them") {
  Random r(7);
  std::vector<int> hits(10);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t x = r.Below(10);
    REQUIRE(x < 10);
    ++hits[x];
    const double u = r.Unit();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    const Duration d = r.Between(milliseconds(5), milliseconds(7));
    REQUIRE(d >= milliseconds(5));
    REQUIRE(d <= milliseconds(7));
  }
  for (int h : hits) REQUIRE(h > 800);  // about 1000 each
  REQUIRE_FALSE(r.Chance(0.0));
  REQUIRE(r.Chance(1.0));
}
