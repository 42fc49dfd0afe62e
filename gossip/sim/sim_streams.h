// Peer streams on the simulated network, on virtual time: the same
// PeerStreams contract as TcpStreams for engine code running in shoal-sim
// and the tests. A message takes the link's one-way delay plus its size at
// the hub's bandwidth; it is not lost (TCP retransmits) but it never
// arrives while the two nodes are partitioned or either is down (the call
// then times out, as a TCP call to a dead or cut-off host does), and it
// waits while the receiver is stalled. Not thread-safe.
#pragma once

#include <map>
#include <memory>

#include "gossip/peer_streams.h"
#include "gossip/sim/sim_network.h"

namespace shoal::gossip {

class SimStreams;

// The streams of every simulated node, by address. Messages in flight refer
// to the hub: keep it alive as long as the network runs.
class SimStreamHub {
 public:
  // 125 MB/s: a gigabit link.
  explicit SimStreamHub(SimNetwork& net, double bytes_per_second = 125e6);
  ~SimStreamHub();

  // Streams for the simulated node at `node`; lives as long as the hub.
  SimStreams& Attach(const Endpoint& node, NodeId id);
  SimStreams* Find(const Endpoint& node);

 private:
  friend class SimStreams;
  SimNetwork& net_;
  double bytes_per_second_;
  std::map<Endpoint, std::unique_ptr<SimStreams>> streams_;
};

class SimStreams final : public PeerStreams {
 public:
  SimStreams(SimStreamHub& hub, Endpoint self, NodeId id) : hub_(hub), self_(self), id_(id) {}
  ~SimStreams() override { *alive_ = false; }

  void Serve(StreamService service, Handler handler) override;
  void Call(const Endpoint& peer, StreamService service, std::string request, Duration timeout,
            Reply reply) override;
  // The simulated streams have no connections (a call costs its transfer).
  bool Connected(const Endpoint&) const override { return false; }
  const StreamCounters& counters() const override { return counters_; }

  // A restart: handlers and the calls in flight are forgotten (their
  // replies never run, as in a process that died).
  void Reset();

 private:
  // Schedules `deliver` at `to` after the transfer of `bytes`; dropped if
  // the two cannot reach each other when it would arrive.
  void Transfer(const Endpoint& from, const Endpoint& to, size_t bytes, std::function<void()> deliver);
  void Finish(uint64_t call, Result<std::string> result);

  SimStreamHub& hub_;
  Endpoint self_;
  NodeId id_;
  std::map<uint32_t, Handler> handlers_;
  std::map<uint64_t, Reply> pending_;
  uint64_t next_call_ = 1;
  StreamCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
