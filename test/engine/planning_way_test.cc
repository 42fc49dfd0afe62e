#include <catch2/catch.hpp>

#include "daemon/engine/planning_way.h"

using namespace shoal::engine;

TEST_CASE("planning way: parsed from its name, an unknown one names the choices") {
  CHECK(*ParsePlanFrom("statuses") == PlanFrom::kStatuses);
  CHECK(*ParsePlanFrom("figures") == PlanFrom::kFigures);
  CHECK(*ParsePlanFrom("pool-size") == PlanFrom::kPoolSize);
  for (PlanFrom f : {PlanFrom::kStatuses, PlanFrom::kFigures, PlanFrom::kPoolSize}) {
    CHECK(*ParsePlanFrom(ToString(f)) == f);
  }
  auto bad = ParsePlanFrom("gossip");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "'gossip' is not a way to plan: statuses, figures or pool-size");
}

TEST_CASE("planning way: by pool size, figures from the threshold, statuses below three quarters of it") {
  PlanningSwitch s({PlanFrom::kPoolSize, 200});
  CHECK(s.may_use_figures());
  CHECK_FALSE(s.Follow(1));
  CHECK_FALSE(s.Follow(199));
  CHECK(s.Follow(200));
  CHECK(s.Follow(151));  // a few nodes failing do not switch back
  CHECK(s.Follow(150));
  CHECK_FALSE(s.Follow(149));
  CHECK_FALSE(s.Follow(199));
  CHECK(s.Follow(5000));
}

TEST_CASE("planning way: a fixed way does not follow the pool's size") {
  PlanningSwitch statuses({PlanFrom::kStatuses, 10});
  CHECK_FALSE(statuses.may_use_figures());
  CHECK_FALSE(statuses.Follow(10000));
  PlanningSwitch figures({PlanFrom::kFigures, 10});
  CHECK(figures.figures());
  CHECK(figures.Follow(1));
}
