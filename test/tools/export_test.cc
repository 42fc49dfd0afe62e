// shoalctl history export: CSV with quoting, and loading into a real
// PostgreSQL server started by the test, twice without doubling rows.
#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include "test/support/postgres.h"
#include "tools/ctl/export_cmd.h"

using namespace shoal;
namespace control = shoal::daemon::control;

namespace {

constexpr int64_t kT = 1'795'000'000'000;  // 2026-11-18 11:06:40 UTC

struct Answers {
  control::HistoryAnswer apps, nodes, events;
  Answers() {
    apps.set_step_ms(60'000);
    nodes.set_step_ms(60'000);
    for (int i = 0; i < 3; ++i) {
      auto* p = apps.add_points();
      p->set_series("gold");
      p->set_node(fmt::format("node-{}", i));
      p->set_time_ms(kT);
      p->set_usage_m(100.0 * (i + 1));
      p->set_demand_m(150);
      p->set_samples(60);
      auto* n = nodes.add_points();
      n->set_node(fmt::format("node-{}", i));
      n->set_time_ms(kT);
      n->set_capacity_m(2000);
      n->set_samples(60);
    }
    auto* e = events.add_events();
    e->set_time_ms(kT + 5);
    e->set_node("node-1");
    e->set_kind("unmet");
    e->set_subject("gold");
    e->set_text("asks 3 cores, \"entitled\" to 2");
  }
};

}  // namespace

TEST_CASE("history export: CSV, one line per point, quoted where needed") {
  Answers a;
  const std::string csv = ctl::HistoryCsv(a.apps, a.nodes);
  REQUIRE_THAT(csv, Catch::StartsWith("time,step_s,kind,series,node,usage_m,"));
  REQUIRE(std::count(csv.begin(), csv.end(), '\n') == 7);  // header + 3 + 3
  REQUIRE_THAT(csv, Catch::Contains("2026-11-18 11:06:40+00,60,app,gold,node-2,300.000,"));
  REQUIRE_THAT(csv, Catch::Contains(",node,,node-0,0.000,"));
  const std::string events = ctl::EventsCsv(a.events);
  REQUIRE_THAT(events, Catch::Contains("2026-11-18 11:06:40.005+00,node-1,unmet,gold,\"asks 3 cores, \"\"entitled\"\" to 2\"\n"));
}

TEST_CASE("history export: loads a real PostgreSQL, again without doubling") {
  if (!testing::TestPostgres::Available()) {
    WARN("PostgreSQL is not installed here (scripts/setup.sh installs it); the export test did not run");
    return;
  }
  testing::TestPostgres pg;
  Answers a;
  auto loaded = ctl::LoadPostgres(pg.conninfo(), a.apps, a.nodes, a.events);
  INFO((loaded.ok() ? "" : loaded.error().message));
  REQUIRE(loaded.ok());
  REQUIRE(loaded->points == 6);
  REQUIRE(loaded->events == 1);
  // Again, with a changed figure: replaced, not doubled.
  a.apps.mutable_points(2)->set_usage_m(333);
  REQUIRE(ctl::LoadPostgres(pg.conninfo(), a.apps, a.nodes, a.events).ok());
  pqxx::connection db(pg.conninfo());
  pqxx::work tx(db);
  REQUIRE(tx.exec("SELECT count(*) FROM shoal_history")[0][0].as<int>() == 6);
  REQUIRE(tx.exec("SELECT count(*) FROM shoal_events")[0][0].as<int>() == 1);
  REQUIRE(tx.exec("SELECT usage_m FROM shoal_history WHERE node = 'node-2' AND kind = 'app'")[0][0].as<double>() == 333);
  REQUIRE(tx.exec("SELECT extract(epoch FROM time)::bigint FROM shoal_history LIMIT 1")[0][0].as<int64_t>() ==
          kT / 1000);
  REQUIRE(tx.exec("SELECT text FROM shoal_events")[0][0].as<std::string>() == "asks 3 cores, \"entitled\" to 2");

  auto bad = ctl::LoadPostgres("host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2", a.apps,
                               a.nodes, a.events);
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::StartsWith("PostgreSQL export:"));
}
