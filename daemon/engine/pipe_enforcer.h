// The pipe enforcer: the engine's seam for the kernel's traffic classes.
// For each lane (a pipe and direction) this node carries it keeps one class
// per application of the document and one for rogue traffic (the pipe's
// traffic no application claims) under a class for the node, counts what
// each sends, and holds each to its rate and ceil. shoald's is an HTB tree
// on the pipe's interface (out) and on an IFB device (in), programmed
// through netlink; the simulator's feeds a simulated shared link.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "daemon/engine/instance.h"
#include "policy/model.h"

namespace shoal::engine {

struct PipeLane {
  std::string pipe;
  policy::Direction direction = policy::Direction::kOut;
  bool operator==(const PipeLane&) const = default;
};

// The class of traffic on a lane that no application of the document claims.
inline constexpr const char* kRogueClass = "(rogue)";

// A class's counters since it was created (backlog: queued now).
struct ClassCounters {
  std::string app;  // or kRogueClass
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t drops = 0;
  uint64_t backlog_bytes = 0;
};

struct LaneCounters {
  PipeLane lane;
  std::vector<ClassCounters> classes;
};

// Bytes per second; a ceil of 0 leaves the class unlimited (counting only).
struct ClassLimit {
  std::string app;  // or kRogueClass
  uint64_t rate = 0;
  uint64_t ceil = 0;
  // Borrows the node's spare before the others: a booked application. A
  // class whose rate was raised from next to nothing may owe the kernel
  // for a packet sent at that rate (HTB keeps the debt in time, up to a
  // minute) and can only borrow meanwhile; its booking must not depend on
  // out-borrowing its siblings.
  bool first = false;
  bool operator==(const ClassLimit&) const = default;
};

struct LaneSetting {
  PipeLane lane;
  uint64_t node_ceil = 0;  // the node's class; 0: counting only (monitor)
  std::vector<ClassLimit> classes;  // every class the lane should have
  bool operator==(const LaneSetting&) const = default;
};

// The local ports of an application's sockets on this node (sampled).
struct AppPorts {
  std::string app;
  std::vector<LocalPort> ports;  // sorted, unique
  bool operator==(const AppPorts&) const = default;
};

class PipeEnforcer {
 public:
  virtual ~PipeEnforcer() = default;
  virtual const char* kind() const = 0;
  // True if this node's configuration places the lane (an interface).
  virtual bool Carries(const PipeLane& lane) const = 0;
  // The document's applications and flow rules, for the classifiers.
  virtual Status SetDocument(const policy::PolicyDocument& doc) = 0;
  // The ports the applications' processes hold now: their traffic goes to
  // the application's class as its flow rules' does. Called when they
  // change; a later Apply builds on them.
  virtual Status SetPorts(const std::vector<AppPorts>& ports) = 0;
  // Makes the lanes' classes match: creates what is missing, sets rates
  // that changed, hands back lanes no longer listed (Apply({}): all).
  virtual Status Apply(const std::vector<LaneSetting>& settings) = 0;
  // What the lanes' classes must hold if this process dies without
  // Release() (a crash, SIGKILL): each lane's static share. Called when it
  // changes; empty: leave the classes as they are. The enforcer sees to it
  // without this process (shoald: a guard process; the simulator: when
  // the engine goes without a Release).
  virtual Status SetFallback(const std::vector<LaneSetting>& settings) = 0;
  // The counters of every class on every lane set up.
  virtual Result<std::vector<LaneCounters>> Read() = 0;
  // Hands every interface back as it was before the first Apply.
  virtual Status Release() = 0;
};

}  // namespace shoal::engine
