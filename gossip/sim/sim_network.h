// A simulated datagram network on virtual time, for tests and shoal-sim.
// One event queue ordered by (time, sequence) drives everything: packet
// deliveries and whatever the owner schedules (node ticks, faults). One
// seeded Random decides every loss, delay and duplicate, so a run is a pure
// function of its seed. Faults: per-link latency and jitter (jitter also
// reorders), loss, duplication, partitions into groups, nodes that are down
// (datagrams to them vanish) and nodes that stall (datagrams to them wait,
// up to a socket buffer's worth, until they resume).
// Virtual nodes get addresses in 127.0.0.0/8; nothing touches a real socket.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/random.h"
#include "gossip/transport.h"

namespace shoal::gossip {

struct LinkModel {
  Duration latency = std::chrono::microseconds(500);  // one-way base delay
  Duration jitter = std::chrono::microseconds(200);   // extra delay, uniform in [0, jitter]
  double loss = 0;       // probability a datagram vanishes
  double duplicate = 0;  // probability it arrives twice
};

struct SimNetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t lost = 0;         // by the link's loss
  uint64_t partitioned = 0;  // across a partition
  uint64_t to_down = 0;      // to a node that is down or unknown
  uint64_t overflowed = 0;   // a stalled node's buffer was full
  uint64_t duplicated = 0;
  uint64_t bytes = 0;            // sent
  uint64_t delivered_bytes = 0;  // received
};

class SimTransport;

class SimNetwork {
 public:
  SimNetwork(ManualClock& clock, uint64_t seed);
  ~SimNetwork();

  // A new node with the next free address. The transport lives as long as
  // the network.
  SimTransport& AddNode();
  SimTransport& node(size_t index) { return *nodes_[index]; }
  size_t size() const { return nodes_.size(); }

  void SetDefaultLink(const LinkModel& link) { default_link_ = link; }
  // Overrides the model for datagrams from `a` to `b` (one direction).
  void SetLink(const Endpoint& a, const Endpoint& b, const LinkModel& link);

  // Datagrams between nodes of different groups vanish. Group 0 is the
  // default; Heal() puts everyone back in it.
  void SetGroup(const Endpoint& node, int group);
  void Heal();
  // A down node receives nothing (crash); up again when set false.
  void SetDown(const Endpoint& node, bool down);
  bool IsDown(const Endpoint& node) const;
  // Datagrams for the node wait until `until`, at most kStallBuffer of them.
  void StallUntil(const Endpoint& node, TimePoint until);
  bool IsStalled(const Endpoint& node) const;
  static constexpr size_t kStallBuffer = 512;

  // For reliable streams on the simulated network (SimStreams): whether a
  // connection from a to b works now (both known and up, in one group), one
  // message's delay on the link (latency plus random jitter; no loss: the
  // stream retransmits), and until when a node is stalled.
  bool Reachable(const Endpoint& a, const Endpoint& b) const;
  Duration Delay(const Endpoint& a, const Endpoint& b);
  TimePoint StalledUntil(const Endpoint& node) const;

  // Runs fn at virtual time `at` (not before now).
  void Schedule(TimePoint at, std::function<void()> fn);
  // Runs every event due up to and including `until`, then sets the clock
  // to `until`.
  void RunUntil(TimePoint until);
  ManualClock& clock() { return clock_; }
  Random& random() { return random_; }
  const SimNetworkStats& stats() const { return stats_; }

 private:
  friend class SimTransport;
  struct NodeState {
    int group = 0;
    bool down = false;
    TimePoint stalled_until = TimePoint::min();
    size_t held = 0;  // datagrams waiting for a stall to end
  };
  struct Event {
    TimePoint at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void Send(const Endpoint& from, const Endpoint& to, std::span<const uint8_t> datagram);
  void Deliver(const Endpoint& from, const Endpoint& to,
               const std::shared_ptr<const std::string>& bytes, bool held, TimePoint arrived);

  ManualClock& clock_;
  Random random_;
  LinkModel default_link_;
  std::map<std::pair<Endpoint, Endpoint>, LinkModel> links_;
  std::vector<std::unique_ptr<SimTransport>> nodes_;
  std::unordered_map<Endpoint, size_t> index_;
  std::vector<NodeState> state_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  SimNetworkStats stats_;
};

class SimTransport final : public Transport {
 public:
  SimTransport(SimNetwork& net, Endpoint self) : net_(net), self_(self) {}
  void Send(const Endpoint& to, std::span<const uint8_t> datagram) override {
    net_.Send(self_, to, datagram);
  }
  Endpoint local_endpoint() const override { return self_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }

 private:
  friend class SimNetwork;
  SimNetwork& net_;
  Endpoint self_;
  Receiver receiver_;
};

}  // namespace shoal::gossip
