#include <catch2/catch.hpp>

#include "daemon/engine/pool_view.h"
#include "gossip/sim/sim_pool.h"

using namespace shoal;
using namespace shoal::engine;
using namespace std::chrono_literals;

TEST_CASE("pool view: statuses decoded once per version, liveness followed, junk kept out and counted") {
  gossip::SimPoolOptions o;
  o.nodes = 3;
  o.config = gossip::GossipConfig::Lan();
  gossip::SimPool pool(o);
  std::vector<std::string> payload(3);
  for (size_t i = 0; i < 3; ++i) {
    NodeStatus s;
    s.name = "n" + std::to_string(i);
    s.capacity_m = static_cast<uint32_t>(1000 * (i + 1));
    s.instances = {{"web", 100, 200, 0, 1}};
    payload[i] = EncodeNodeStatus(s);
  }
  pool.AddChannels([&](size_t i, gossip::Gossiper& g) {
    REQUIRE(g.RegisterChannel({kNodeChannel, "node", 100ms, kNodeStatusMaxBytes},
                              [&, i] { return std::optional<std::string>(payload[i]); }, nullptr)
                .ok());
  });
  pool.StartFormed();
  pool.RunFor(2s);
  PoolView view;
  view.Update(pool.node(0).View(kNodeChannel));
  REQUIRE(view.CapacityM() == 6000);
  REQUIRE(view.NameOf(pool.id(2)) == "n2");
  REQUIRE(view.PlanInput({}).instances.size() == 3);
  const uint64_t changes = view.changes();
  view.Update(pool.node(0).View(kNodeChannel));
  REQUIRE(view.changes() == changes);  // nothing new: nothing decoded, no change

  payload[1] = "\xff\xff\xff";
  pool.RunFor(1s);
  view.Update(pool.node(0).View(kNodeChannel));
  REQUIRE(view.malformed() == 1);
  REQUIRE(view.CapacityM() == 4000);  // n1 is out of the plan while its status does not decode

  pool.Crash(2);
  pool.RunFor(10s);
  view.Update(pool.node(0).View(kNodeChannel));
  REQUIRE(view.CapacityM() == 1000);
  REQUIRE(view.changes() > changes);
  const PoolView::Node* gone = view.Find(pool.id(2));
  REQUIRE(gone != nullptr);  // kept for its name until the exchange forgets it
  REQUIRE_FALSE(gone->live);
  REQUIRE(view.NameOf(pool.id(2)) == "n2");
}

TEST_CASE("pool view: a settling node is planned from the last settled status it had, or as it is") {
  gossip::SimPoolOptions o;
  o.nodes = 2;
  o.config = gossip::GossipConfig::Lan();
  gossip::SimPool pool(o);
  auto status = [](double gold, bool settling) {
    NodeStatus s;
    s.name = "n1";
    s.capacity_m = 4000;
    if (gold > 0) s.instances = {{"gold", gold, gold, 0, 1}};
    s.settling = settling;
    return EncodeNodeStatus(s);
  };
  std::string payload = status(0, true);  // started afresh: nothing known before
  pool.AddChannels([&](size_t i, gossip::Gossiper& g) {
    auto publish = [&, i]() -> std::optional<std::string> {
      if (i == 0) return std::nullopt;
      return payload;
    };
    REQUIRE(g.RegisterChannel({kNodeChannel, "node", 100ms, kNodeStatusMaxBytes}, publish, nullptr).ok());
  });
  pool.StartFormed();
  PoolView view;
  auto planned_gold = [&]() -> double {
    pool.RunFor(1s);
    view.Update(pool.node(0).View(kNodeChannel));
    const auto in = view.PlanInput({});
    if (in.nodes.size() != 1) return -2;
    return in.instances.empty() ? -1 : in.instances[0].usage;
  };
  CHECK(planned_gold() == -1);    // settling, nothing before: as it is
  payload = status(2000, false);  // measured
  CHECK(planned_gold() == 2000);
  payload = status(0, true);      // restarted: settling again, the last settled status planned
  CHECK(planned_gold() == 2000);
  CHECK(view.Find(pool.id(1))->status.instances.empty());  // what it says is kept as said
  payload = status(300, true);    // still settling: still the last settled one
  CHECK(planned_gold() == 2000);
  payload = status(1500, false);  // its figures: planned as they are
  CHECK(planned_gold() == 1500);
}
