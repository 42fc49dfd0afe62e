// The sums a pool-wide history answer is turned into for operators
// (store/series_sum.h).
#include <catch2/catch.hpp>

#include "store/series_sum.h"

using namespace shoal;
using namespace shoal::store;

TEST_CASE("Series sums: every origin's rows of a series and bucket added, per node or for the pool, in order") {
  auto row = [](uint64_t origin, std::string name, int64_t bucket, uint32_t samples, uint64_t usage_sum,
                uint32_t peak, uint32_t squeezed) {
    Figures f;
    f.samples = samples;
    f.usage_sum = usage_sum;
    f.usage_peak = peak;
    f.demand_sum = usage_sum;
    f.squeezed = squeezed;
    return SeriesRow{NodeId{origin}, std::move(name), bucket, f};
  };
  QueryAnswer a;
  // Origins answered one after another, series and buckets out of order,
  // one row without samples (left out).
  a.rows = {row(2, "web", 60'000, 2, 400, 300, 1), row(2, "db", 0, 1, 50, 50, 0), row(2, "web", 0, 2, 200, 150, 0),
            row(1, "web", 0, 4, 400, 200, 2), row(1, "db", 0, 1, 70, 70, 1), row(1, "web", 60'000, 0, 0, 0, 0),
            row(3, "web", 0, 1, 30, 30, 0)};
  auto pool = SumSeries(a, false);
  REQUIRE(pool.size() == 3);
  CHECK((pool[0].series == "db" && pool[0].time_ms == 0));
  CHECK(pool[0].usage == Approx(50 + 70));
  CHECK(pool[0].nodes == 2);
  CHECK(pool[0].squeezed == Approx(0.5));
  CHECK((pool[1].series == "web" && pool[1].time_ms == 0));
  CHECK(pool[1].usage == Approx(100 + 100 + 30));  // averages per node, added
  CHECK(pool[1].usage_peak == Approx(150 + 200 + 30));
  CHECK(pool[1].samples == 7);
  CHECK(pool[1].squeezed == Approx(2.0 / 7));
  CHECK((pool[2].series == "web" && pool[2].time_ms == 60'000 && pool[2].nodes == 1));
  CHECK(pool[2].origin == 0);
  auto per_node = SumSeries(a, true);
  REQUIRE(per_node.size() == 6);
  CHECK((per_node[0].series == "db" && per_node[0].origin == 1));
  CHECK((per_node[2].series == "web" && per_node[2].origin == 1 && per_node[2].usage == Approx(100)));
  CHECK((per_node[3].origin == 2 && per_node[3].time_ms == 0 && per_node[4].time_ms == 60'000));
  CHECK((per_node[5].origin == 3 && per_node[5].nodes == 1));
}
