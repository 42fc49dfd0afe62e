// Whole nodes on virtual time: a SimPool (gossip/sim/sim_pool.h) whose every
// node also runs a complete node engine (daemon/engine/node_engine.h) on a
// simulated server (sim_machine.h): pool view, policy distribution,
// snapshot epochs, planner, triggers, and optionally history with
// replication in an in-memory RocksDB per node. The applications' demand
// follows the workload's curves, and the simulated scheduler gives them
// what the engines' enforcement allows, so what is measured is what the
// pool would do. The harness behind shoal-sim --full and the whole-pool
// tests; same options and seed, same run. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "daemon/engine/node_detail.h"
#include "daemon/engine/node_engine.h"
#include "gossip/sim/sim_pool.h"
#include "tools/sim/sim_machine.h"
#include "tools/sim/sim_pipes.h"
#include "tools/sim/traffic.h"

namespace rocksdb {
class Env;
}

namespace shoal::sim {

struct FullPoolOptions {
  gossip::SimPoolOptions pool;
  uint32_t cpus = 4;  // per server
  bool history = false;
  int history_copies = 2;
  int64_t start_wall_ms = 1'780'000'000'000;  // the simulated date at start
  // How far node `index`'s wall clock is off the others' (none: 0).
  std::function<int64_t(size_t index)> wall_offset_ms;
  // Engines log at this level and above while the pool lives (thousands
  // of nodes say the same thing).
  spdlog::level::level_enum log_level = spdlog::level::err;
  // The applications node `index` runs (called once per node).
  std::function<void(size_t index, SimMachine& machine)> workload;
  // Pipes every node carries (none: no pipe loop), with the engines' options.
  std::vector<SimLane> lanes;
  engine::PipeOptions pipe_options;
  bool pipe_loop = true;  // false: the links carry traffic, no engine shapes it
  bool plan_from_snapshot = false;  // engine::EngineConfig::plan_from_snapshot
  engine::PlanningConfig planning;  // engine::EngineConfig::planning
};

// The runs' pool: `nodes` on the LAN preset, links losing `loss` of packets.
FullPoolOptions LanPool(size_t nodes, uint64_t seed, double loss);

// How far apart the nodes' plans are: each running node's allocations
// compared with the reference node's (the lowest running index), as the
// sum of absolute differences over the pool's capacity.
struct PlanSpread {
  double max = 0;     // the node furthest from the reference
  double median = 0;
  size_t nodes = 0;   // compared
};

class FullPool {
 public:
  explicit FullPool(FullPoolOptions options);
  ~FullPool();

  void Start() {
    StartPipes();
    pool_.Start();
  }
  void StartFormed() {
    StartPipes();
    pool_.StartFormed();
  }
  void RunFor(Duration d) { pool_.RunFor(d); }
  // Runs in `step`s until `done` holds or `timeout` passed; returns the
  // time it took, or nullopt.
  std::optional<Duration> RunUntil(const std::function<bool()>& done, Duration timeout,
                                   Duration step = std::chrono::milliseconds(10));

  size_t size() const { return pool_.size(); }
  // Bytes and packets sent and received, summed over every node: the
  // exchange's datagrams, and the peer streams' bytes (snapshot epochs,
  // the roll-up, policy fetches, history).
  sim::Traffic Traffic();
  gossip::SimPool& pool() { return pool_; }
  bool running(size_t i) const { return pool_.running(i); }
  engine::NodeEngine& engine(size_t i) { return *nodes_[i].engine; }
  // Node i's detail service (daemon/engine/node_detail.h), as shoald wires it.
  engine::DetailService& detail(size_t i) { return *nodes_[i].detail; }
  SimMachine& machine(size_t i) { return *nodes_[i].machine; }
  // The simulated pipes (options.lanes not empty).
  SimPipes& pipes() { return *pipes_; }
  TimePoint now() { return pool_.clock().Now(); }
  // The nodes' wall clock (one for all), and node i's history store
  // (history on; null otherwise), as a control API on the node reads them.
  const WallClock& wall() const { return *wall_; }
  store::HistoryStore* history(size_t i) { return nodes_[i].store; }

  // Pushes a policy document through node i, as shoalctl would.
  Result<policy::PolicyVersion> Push(size_t i, const std::string& xml);
  // Running nodes whose engine runs `version` and, when it is an enforce
  // document, enforces it.
  size_t NodesEnforcing(const policy::PolicyVersion& version);
  PlanSpread Spread();
  // How far each running node's own row is from its row of the whole plan
  // made from every running node's sample now (what one planner holding
  // every figure at once would give it): per node the sum over its
  // applications of |row - whole| in % of its capacity.
  std::vector<double> RowGaps();
  // What `app` gets pool-wide from the simulated schedulers now, over what
  // its booking entitles it to of its demand (min(demand, entitlement)),
  // by the reference node's plan; 1 when it wants nothing.
  double BookedMet(const std::string& app);
  // For each running origin, the running peers holding its history within
  // `lag` batches of its last; the least over origins (history on).
  size_t LeastHistoryCopies(uint64_t lag = 5);

 private:
  struct Node {
    std::unique_ptr<SimMachine> machine;  // lives across restarts
    engine::NodeEngine* engine = nullptr;  // owned by the SimPool's component
    engine::DetailService* detail = nullptr;  // likewise
    store::HistoryStore* store = nullptr;
  };
  std::function<void()> Build(size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams);
  size_t Reference() const;
  void StartPipes();

  FullPoolOptions options_;
  spdlog::level::level_enum saved_level_;
  std::unique_ptr<rocksdb::Env> env_;  // before the pool: the stores in it use it
  std::unique_ptr<SimPipes> pipes_;    // before the pool: its engines' enforcers use it
  gossip::SimPool pool_;
  std::unique_ptr<SimWallClock> wall_;
  std::vector<Node> nodes_;
};

}  // namespace shoal::sim
