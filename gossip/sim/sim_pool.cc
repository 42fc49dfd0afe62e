#include "gossip/sim/sim_pool.h"

#include <algorithm>
#include <cassert>

namespace shoal::gossip {

SimPool::SimPool(const SimPoolOptions& options)
    : options_(options),
      network_(clock_, options.seed),
      hub_(network_),
      index_(std::max<size_t>(2 * options.config.max_nodes, 2 * options.nodes)),
      payloads_(8 * std::max<size_t>(options.config.max_nodes, options.nodes)) {
  network_.SetDefaultLink(options.link);
  // A fixed key derived from the seed: reproducible runs, real sealing.
  Key key{};
  Random r(options.seed ^ 0x5eed5eedULL);
  for (auto& b : key) b = static_cast<uint8_t>(r.Next());
  keyring_.Add(key);
  for (size_t i = 0; i < options.nodes; ++i) {
    auto n = std::make_unique<Node>();
    SimTransport& t = network_.AddNode();
    n->identity = NodeIdentity{NodeId{i + 1}, 1, t.local_endpoint()};
    n->streams = &hub_.Attach(t.local_endpoint(), n->identity.id);
    if (i < options.seeds) seeds_.push_back(t.local_endpoint());
    nodes_.push_back(std::move(n));
    network_.SetDown(t.local_endpoint(), true);
  }
}

SimPool::~SimPool() {
  for (auto& n : nodes_) n->tickers.clear();  // components before the gossipers they use
}

Duration SimPool::NextTickDelay(Random& r) const {
  const auto p = options_.config.period;
  const auto j = std::chrono::duration_cast<Duration>(p * options_.tick_jitter);
  return p - j + r.Between(Duration::zero(), 2 * j);
}

void SimPool::Boot(size_t i) {
  Node& n = *nodes_[i];
  n.random = std::make_unique<Random>(options_.seed * 0x9e3779b97f4a7c15ULL + i * 7919 +
                                      n.identity.boot);
  GossipConfig config = options_.config;
  if (n.protocol) config.protocol = *n.protocol;
  n.gossiper = std::make_unique<Gossiper>(config, n.identity, clock_, *n.random,
                                          network_.node(i), keyring_,
                                          SharedTables{&index_, &payloads_});
  n.gossiper->SetSeeds(seeds_);
  n.gossiper->SetEntryObserver([this, i](uint32_t ch, NodeId origin, uint64_t version) {
    if (observer_) observer_(i, ch, origin, version);
  });
  n.gossiper->AddMemberListener([this, i](const MemberEvent& ev) {
    if (member_listener_) member_listener_(i, ev);
  });
  for (auto& f : factories_) f(i, *n.gossiper);
  for (auto& f : components_) {
    if (auto tick = f(i, *n.gossiper, *n.streams)) n.tickers.push_back(std::move(tick));
  }
  n.running = true;
  ++n.generation;
  network_.SetDown(n.identity.advertise, false);
}

void SimPool::ScheduleTick(size_t i, TimePoint at) {
  const uint64_t gen = nodes_[i]->generation;
  network_.Schedule(at, [this, i, gen] {
    Node& n = *nodes_[i];
    if (!n.running || n.generation != gen) return;
    if (network_.IsStalled(n.identity.advertise)) return;  // Stall() reschedules
    // As shoald orders a tick: the node's components between the views and
    // the packet.
    n.gossiper->DeliverViews();
    for (auto& tick : n.tickers) tick();
    n.gossiper->Tick();
    ScheduleTick(i, clock_.Now() + NextTickDelay(*n.random));
  });
}

void SimPool::Start() {
  const TimePoint t0 = clock_.Now();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Duration offset =
        options_.join_spread * static_cast<int64_t>(i) / static_cast<int64_t>(nodes_.size());
    network_.Schedule(t0 + offset, [this, i] {
      Boot(i);
      // First tick at a random phase within one period.
      ScheduleTick(i, clock_.Now() + nodes_[i]->random->Between(Duration::zero(),
                                                                 options_.config.period));
    });
  }
}

void SimPool::StartFormed() {
  for (size_t i = 0; i < nodes_.size(); ++i) Boot(i);
  // A first tick publishes each node's own entries. Alone, a node knocks
  // on the seeds' doors and asks for the full state: those packets
  // arrive while every node is still down, and vanish.
  for (auto& n : nodes_) network_.SetDown(n->identity.advertise, true);
  for (auto& n : nodes_) n->gossiper->Tick();
  network_.RunUntil(clock_.Now() + options_.link.latency + options_.link.jitter +
                    std::chrono::milliseconds(1));
  for (auto& n : nodes_) network_.SetDown(n->identity.advertise, false);
  for (auto& n : nodes_) {
    for (auto& peer : nodes_) {
      if (peer != n) n->gossiper->Adopt(*peer->gossiper);
    }
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    ScheduleTick(i, clock_.Now() + nodes_[i]->random->Between(Duration::zero(), options_.config.period));
  }
}

bool SimPool::Formed() const {
  const size_t running = static_cast<size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->running; }));
  // A node not booted yet (Start spreads the joins) is not formed; a
  // crashed one is out of the pool.
  return std::all_of(nodes_.begin(), nodes_.end(), [&](const auto& n) {
    if (n->gossiper == nullptr) return false;
    return !n->running || n->gossiper->membership().live_count() == running;
  });
}

void SimPool::RunFor(Duration d) { network_.RunUntil(clock_.Now() + d); }

void SimPool::SetProtocol(size_t i, ProtocolRange range) { nodes_[i]->protocol = range; }

void SimPool::Crash(size_t i) {
  Node& n = *nodes_[i];
  n.running = false;
  ++n.generation;
  network_.SetDown(n.identity.advertise, true);
}

void SimPool::Restart(size_t i) {
  Node& n = *nodes_[i];
  Crash(i);
  n.tickers.clear();  // the old life's components
  n.streams->Reset();
  n.gossiper.reset();
  ++n.identity.boot;
  Boot(i);
  ScheduleTick(i, clock_.Now() + n.random->Between(Duration::zero(), options_.config.period));
}

void SimPool::Stall(size_t i, Duration d) {
  Node& n = *nodes_[i];
  const TimePoint until = clock_.Now() + d;
  network_.StallUntil(n.identity.advertise, until);
  ++n.generation;  // drop the ticks already scheduled
  ScheduleTick(i, until);
}

void SimPool::Leave(size_t i, Duration linger) {
  nodes_[i]->gossiper->Leave();
  const uint64_t gen = nodes_[i]->generation;
  network_.Schedule(clock_.Now() + linger, [this, i, gen] {
    if (nodes_[i]->generation == gen) Crash(i);
  });
}

}  // namespace shoal::gossip
