// Many Gossipers on one SimNetwork: the harness behind shoal-sim and the
// whole-pool tests. Each node has its own Random (derived from the pool's
// seed), its own Gossiper and a tick scheduled every period with a small
// jitter. Faults: crash (down, no ticks), restart (a fresh Gossiper with a
// higher boot, same id and address), stall (no ticks, datagrams held),
// partitions through the network. Components' channels are registered on
// every node, including restarted ones, through ChannelFactory; components
// that also need peer streams or a tick come from ComponentFactory. Every
// node has simulated peer streams at its address. The nodes share one
// PeerIndex and one PayloadCache (SharedTables), which is what lets one
// process hold 10,000 of them.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "gossip/gossiper.h"
#include "gossip/sim/sim_network.h"
#include "gossip/sim/sim_streams.h"

namespace shoal::gossip {

struct SimPoolOptions {
  size_t nodes = 16;
  GossipConfig config;
  LinkModel link;
  uint64_t seed = 1;
  size_t seeds = 3;  // the first `seeds` nodes are every node's seed list
  // Node i starts at i * join_spread / nodes (0: all at once).
  Duration join_spread = Duration::zero();
  // Each tick comes period * (1 ± tick_jitter): clocks do not tick in step.
  double tick_jitter = 0.05;
};

class SimPool {
 public:
  // Registers a component's channel on node `index`'s Gossiper.
  using ChannelFactory = std::function<void(size_t index, Gossiper& g)>;
  using Observer = std::function<void(size_t index, uint32_t channel, NodeId origin,
                                      uint64_t version)>;
  using MemberListener = std::function<void(size_t index, const MemberEvent& ev)>;
  // Builds a component on node `index` (at boot and at every restart) and
  // returns what to run after each of the node's gossip ticks; the returned
  // function owns the component, which lives until the node restarts.
  using ComponentFactory =
      std::function<std::function<void()>(size_t index, Gossiper& g, PeerStreams& streams)>;

  explicit SimPool(const SimPoolOptions& options);
  ~SimPool();

  // Called on every node now and on every restart. Add before Start.
  void AddChannels(ChannelFactory f) { factories_.push_back(std::move(f)); }
  void AddComponent(ComponentFactory f) { components_.push_back(std::move(f)); }
  void SetObserver(Observer o) { observer_ = std::move(o); }
  void SetMemberListener(MemberListener l) { member_listener_ = std::move(l); }

  void Start();
  // Starts every node at once with the pool already formed: each node
  // holds every other node's first entries (as after a full-state answer)
  // and sees it alive. A cold start floods: every node's first entries
  // must reach every node, N^2 entries of work (about an hour of wall time
  // at 10,000 nodes); this skips to the steady state that most figures are
  // about. Instead of Start.
  void StartFormed();
  // Every node has booted, and every running node sees every other running
  // node alive.
  bool Formed() const;
  void RunFor(Duration d);
  void RunUntil(TimePoint t) { network_.RunUntil(t); }

  size_t size() const { return nodes_.size(); }
  Gossiper& node(size_t i) { return *nodes_[i]->gossiper; }
  SimStreams& streams(size_t i) { return *nodes_[i]->streams; }
  NodeId id(size_t i) const { return nodes_[i]->identity.id; }
  bool running(size_t i) const { return nodes_[i]->running; }
  // Index of a node id (ids are index + 1).
  static size_t IndexOf(NodeId id) { return static_cast<size_t>(id.value - 1); }

  void Crash(size_t i);
  void Restart(size_t i);
  // The protocol versions node i's build speaks (default: the config's),
  // from its next start or restart: a rolling upgrade is a restart with a
  // wider range.
  void SetProtocol(size_t i, ProtocolRange range);
  void Stall(size_t i, Duration d);
  // Graceful leave: announces, keeps ticking for `linger`, then stops.
  void Leave(size_t i, Duration linger);

  SimNetwork& network() { return network_; }
  ManualClock& clock() { return clock_; }
  const SimPoolOptions& options() const { return options_; }

 private:
  struct Node {
    NodeIdentity identity;
    std::unique_ptr<Random> random;
    std::unique_ptr<Gossiper> gossiper;
    SimStreams* streams = nullptr;  // owned by the hub
    std::vector<std::function<void()>> tickers;  // own the node's components
    bool running = false;
    uint64_t generation = 0;  // invalidates ticks scheduled for an older life
    std::optional<ProtocolRange> protocol;  // SetProtocol
  };
  void Boot(size_t i);
  void ScheduleTick(size_t i, TimePoint at);
  Duration NextTickDelay(Random& r) const;

  SimPoolOptions options_;
  ManualClock clock_;
  SimNetwork network_;
  SimStreamHub hub_;  // after the network, before the nodes' components
  Keyring keyring_;
  PeerIndex index_;       // before the nodes, whose tables hold its slots
  PayloadCache payloads_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Endpoint> seeds_;
  std::vector<ChannelFactory> factories_;
  std::vector<ComponentFactory> components_;
  Observer observer_;
  MemberListener member_listener_;
};

}  // namespace shoal::gossip
