// The pool's pipes as one node sees them now (`shoalctl pipes`): per lane
// of the active document its capacity and each application's terms, and,
// from every node's latest pipe figures (pipe_demand.h), what each node
// and application sent, wanted and was allocated. "Used" and "allocated"
// are averages over each node's last sampling period (about a second);
// "demand" is its latest round's estimate; each carrier's static share, and
// the failed carriers whose static shares the others keep aside, are
// listed too. Bytes per second. Any node
// answers: every node keeps every node's figures. Free function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/engine/pipe_figures.h"
#include "daemon/engine/pipe_lanes.h"

namespace shoal::engine {

struct PipeFiguresRow {
  uint64_t used = 0, demand = 0, allocated = 0;
  void Add(const PipeFiguresRow& o) {
    used += o.used;
    demand += o.demand;
    allocated += o.allocated;
  }
};

struct PipeAppReport {
  std::string app;         // or kRogueClass
  uint64_t booked = 0;     // per second, by the policies in force
  uint64_t cap = 0;        // 0: none
  PipeFiguresRow figures;  // summed over the nodes
  uint32_t nodes = 0;      // nodes where it used, wanted or was allocated anything
};

struct PipeNodeReport {
  NodeId node;
  PipeFiguresRow figures;
  uint64_t fallback = 0;  // per second: its static share, what it sends on its own
  bool failed = false;    // gone from the view, held failed: its static share is kept aside
};

struct PipeLaneReport {
  PipeLane lane;
  uint64_t capacity = 0;
  PipeFiguresRow figures;  // summed over the nodes
  std::vector<PipeAppReport> apps;    // by slot, every one the document has
  std::vector<PipeNodeReport> nodes;  // the carriers with figures, by id, then the failed ones
  uint64_t reserved = 0;              // per second: the failed carriers' static shares
};

struct PipeReportInput {
  const policy::PolicyDocument& doc;
  const std::string& version_text;  // of `doc`: which figures index it
  const std::vector<policy::EffectivePolicy>& effective;
  const PipeFigures& figures;
  Duration interval;  // the credit round
  std::function<bool(NodeId)> failed;  // the membership's verdict on a node gone from the view
};

std::vector<PipeLaneReport> ReportPipes(const PipeReportInput& in);

}  // namespace shoal::engine
