#include <catch2/catch.hpp>

#include "core/percentile.h"

using namespace shoal;

TEST_CASE("a histogram gives the nearest-rank percentiles of its samples, to 0.1") {
  Histogram h;
  std::vector<double> all;
  REQUIRE(h.Percentile(99) == 0);
  for (int i = 0; i < 1000; ++i) {
    const double v = (i * 37 % 1000) * 1.5;  // 0 .. 1498.5, shuffled
    h.Add(v);
    all.push_back(v);
  }
  REQUIRE(h.count() == 1000);
  for (double p : {1.0, 50.0, 99.0, 100.0}) REQUIRE(h.Percentile(p) == Approx(Percentile(all, p)));
  h.Add(1e6);  // one outlier moves the maximum only
  REQUIRE(h.Percentile(100) == 1e6);
  REQUIRE(h.Percentile(99) == Approx(1485.0));
  Histogram r;
  r.Add(2.04);
  r.Add(2.06);
  REQUIRE(r.Percentile(50) == Approx(2.0));
  REQUIRE(r.Percentile(100) == Approx(2.1));
}
