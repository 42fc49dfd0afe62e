// shoal-sim's measurements (tools/sim/pool_metrics.h), fed by hand on a
// small simulated pool: what they count must be what happened.
#include <catch2/catch.hpp>

#include "gossip/sim/sim_pool.h"
#include "test/gossip/sim_scenario.h"
#include "tools/sim/pool_metrics.h"

using namespace shoal;
using namespace std::chrono_literals;

TEST_CASE("pool metrics: an update every running node holds is complete as of the last one, though a node crashed") {
  gossip::SimPool pool(gossip::testing::Options(4, 0.0, 1));
  pool.StartFormed();
  constexpr uint32_t kChannel = 7;
  sim::PoolMetrics m(pool, kChannel, 1);
  m.BeginWindow();
  m.OnPublish(0, 1, pool.clock().Now());
  pool.RunFor(10ms);
  m.OnStored(1, kChannel, pool.id(0), 1);
  pool.RunFor(10ms);
  m.OnStored(2, kChannel, pool.id(0), 1);  // node 3 has not got it yet...
  pool.RunFor(1s);
  pool.Crash(3);  // ...and never will in this life
  m.NoteCrash(3, pool.clock().Now());
  pool.RunFor(30s);
  pool.Restart(3);
  m.NoteRestart(3);
  m.OnStored(3, kChannel, pool.id(0), 1);  // 30 s later, from its new life
  const sim::PoolReport r = m.Finish(0);
  CHECK(r.updates_tracked == 1);
  CHECK(r.updates_incomplete == 0);
  CHECK(r.dissemination_max_ms == Approx(20));
}
