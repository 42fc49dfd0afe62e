// An emulated pool: many peers in one process, each a whole node engine
// (daemon/engine/node_engine.h) on a simulated server (tools/sim/
// sim_machine.h), but on real sockets and the real clock: its own UDP
// socket and TCP peer streams on its own loopback address, sealed under the
// pool's key (calls among the peers stay in process: routed_streams.h).
// A real shoald seeded with one of them sees a pool of real
// size at the real rates (every node's status or card each second, the
// roll-up, policy fetches, history replication), while this process runs
// on another CPU: what that daemon costs is then measured alone
// (bench/emulated_pool.sh), not shared with a hundred others on the
// same cores.
//
// The peers tick together, once per gossip period, on the io_context's
// thread; the report says how late those ticks start and how long a round
// of them takes: a round longer than the period means the emulator cannot
// keep up with that many peers and the daemon sees a slow pool. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/result.h"
#include "core/tick_lateness.h"
#include "daemon/engine/planning_way.h"
#include "gossip/config.h"
#include "gossip/payload.h"
#include "gossip/peer_index.h"
#include "gossip/seal.h"
#include "tools/emu/routed_streams.h"
#include "tools/sim/sim_machine.h"
#include "tools/sim/traffic.h"

namespace rocksdb {
class Env;
}

namespace shoal::emu {

struct EmulatedPoolOptions {
  size_t peers = 15;
  // Peer i binds first_address + i (127.0.0.0/8 is all loopback on Linux),
  // UDP and TCP, on `port`.
  Endpoint first_address{0x7f010001, 7946};  // 127.1.0.1
  std::vector<Endpoint> seeds;                // the real daemon(s); peer 0 is added for the others
  gossip::GossipConfig gossip = gossip::GossipConfig::Lan();
  engine::PlanningConfig planning{engine::PlanFrom::kPoolSize, 48};  // shoald's default
  uint32_t cpus = 4;                          // per simulated server
  bool history = true;                        // an in-memory store per peer, replicating
  int history_copies = 2;
  uint64_t seed = 1;
  // The applications peer `index` runs.
  std::function<void(size_t index, sim::SimMachine& machine)> workload;
};

// What the pool did since the last report.
struct EmulatedReport {
  size_t peers = 0;
  size_t live_seen = 0;  // live nodes (itself included) as peer 1 sees the pool now
  sim::Traffic traffic;  // since the last report, all peers
  std::string ticks;  // TickLateness::Take() of the rounds
};

class EmulatedPool {
 public:
  // Binds every peer's sockets; errors name the address. `keyring` must
  // outlive the pool.
  static Result<std::unique_ptr<EmulatedPool>> Open(boost::asio::io_context& io, EmulatedPoolOptions options,
                                                    const gossip::Keyring& keyring);
  ~EmulatedPool();
  EmulatedPool(const EmulatedPool&) = delete;
  EmulatedPool& operator=(const EmulatedPool&) = delete;

  // Starts ticking every gossip period on the io_context.
  void Start();
  EmulatedReport TakeReport();
  size_t size() const { return peers_.size(); }

 private:
  struct Peer;
  EmulatedPool(boost::asio::io_context& io, EmulatedPoolOptions options, const gossip::Keyring& keyring);
  Status OpenPeer(size_t i);
  void ScheduleRound();
  void Round();

  boost::asio::io_context& io_;
  EmulatedPoolOptions options_;
  const gossip::Keyring& keyring_;
  SteadyClock clock_;
  SystemWallClock wall_;
  std::unique_ptr<rocksdb::Env> env_;  // in memory, for the peers' stores
  gossip::PeerIndex index_;            // shared by the peers' tables, as in the simulator
  gossip::PayloadCache payloads_;
  LocalRoutes routes_;  // the peers' streams, for calls among them
  std::vector<std::unique_ptr<Peer>> peers_;
  boost::asio::steady_timer timer_;
  TickLateness rounds_;
  sim::Traffic reported_;  // at the last report
};

}  // namespace shoal::emu
