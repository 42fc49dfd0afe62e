// Simulated pipes for the whole-node simulator: each lane (a pipe and
// direction) is one shared link, and each node's applications offer
// traffic on it that follows a curve over virtual time. Each node's
// classes behave as an HTB tree in a fluid model: an application's class
// sends up to its rate, then borrows what the node's class leaves, up to
// its ceil; what it cannot send waits in a queue of queue_bytes and the
// rest is dropped. The node engines see their node's classes through
// SimPipeEnforcer, so the credits they compute change what the link
// carries. Settings outlive a crashed engine, as the kernel's classes
// outlive a killed shoald. Every step's bytes are kept for measurement.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/engine/pipe_enforcer.h"
#include "gossip/sim/sim_network.h"

namespace shoal::sim {

// Bytes per second an application offers at a moment of virtual time.
using RateCurve = std::function<double(TimePoint)>;

struct SimLane {
  engine::PipeLane id;
  uint64_t capacity = 0;  // bytes per second
};

class SimPipes {
 public:
  SimPipes(size_t nodes, std::vector<SimLane> lanes, Duration step = std::chrono::milliseconds(10),
           uint64_t queue_bytes = 64 * 1024);

  // Node `node`'s application `app` offers `curve` on the lane.
  void Offer(size_t node, const engine::PipeLane& lane, const std::string& app, RateCurve curve);
  // Steps every `step` of the network's virtual time from now on.
  void Start(gossip::SimNetwork& network);
  // The enforcer of node `node` (one at a time).
  std::unique_ptr<engine::PipeEnforcer> Enforcer(size_t node);

  // Bytes carried per step, pool-wide, on lane `lane` (index into the
  // lanes given), and of one application.
  const std::vector<uint64_t>& Carried(size_t lane) const { return carried_[lane]; }
  const std::vector<uint64_t>& CarriedOf(size_t lane, const std::string& app) const;
  // Bytes the applications offered per step, pool-wide, on the lane.
  const std::vector<uint64_t>& Offered(size_t lane) const { return offered_[lane]; }
  const std::vector<uint64_t>& OfferedOf(size_t lane, const std::string& app) const;
  // A series' bytes per second over each whole `window` from `from` on
  // (series shorter than the run, for an application seen late, are
  // aligned at their end).
  std::vector<double> Rates(const std::vector<uint64_t>& series, TimePoint from, Duration window) const;
  const std::vector<SimLane>& lanes() const { return lanes_; }
  Duration step() const { return step_; }
  TimePoint started() const { return started_; }

 private:
  friend class SimPipeEnforcer;
  struct Class {
    RateCurve offer;
    engine::ClassCounters counters;
    double backlog = 0;
    uint64_t rate = 0, ceil = 0;  // bytes per second; ceil 0: unlimited
  };
  struct NodeLane {
    std::map<std::string, Class> classes;
    uint64_t node_ceil = 0;  // 0: unlimited
    bool set = false;        // an enforcer applied a setting
  };
  void Step(TimePoint now);
  void StepNodeLane(size_t lane, NodeLane& nl, TimePoint now);
  void Schedule(gossip::SimNetwork& network, TimePoint at);

  std::vector<SimLane> lanes_;
  Duration step_;
  uint64_t queue_bytes_;
  std::vector<std::vector<NodeLane>> nodes_;  // [node][lane]
  std::vector<std::vector<uint64_t>> carried_, offered_;  // [lane][step]
  std::vector<std::map<std::string, std::vector<uint64_t>>> carried_of_, offered_of_;
  std::vector<uint64_t> empty_;
  TimePoint started_{};
};

}  // namespace shoal::sim
