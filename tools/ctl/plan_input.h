// The what-if document `shoalctl plan FILE` reads: a view of the pool plus
// the policies to plan it under, and optionally pipes with each node's queued
// bytes or each application's terms and demand. README.md ("shoalctl plan") documents the format; CPU amounts are
// millicores, pipe amounts bytes.
#pragma once

#include <string>
#include <vector>

#include "bwman/pipe_credit.h"
#include "core/result.h"
#include "policy/cpu_planner.h"
#include "tools/ctl/json_input.h"

namespace shoal::ctl {

// An application's terms on a pipe, bytes per second (0: no booking, no cap).
struct PipeAppInput {
  std::string name;
  uint64_t booked = 0;
  uint64_t cap = 0;
};

// What an application's instance on a node wants to send, bytes per second.
struct PipeDemandInput {
  NodeId node;
  std::string app;
  uint64_t rate = 0;
};

// A pipe either with each node's queue already split into booked and
// unbooked bytes (`queued`), or, as the daemons divide it, with the
// applications' terms and per-node demand (`apps`, `demand`).
struct PipeInput {
  std::string name;
  uint64_t capacity = 0;     // bytes per second
  uint64_t interval_ms = 20;
  double immediate_share = bwman::kDefaultImmediateShare;
  std::vector<std::pair<NodeId, bwman::Queued>> queued;
  std::vector<PipeAppInput> apps;  // those named only in `demand` appended, without terms
  std::vector<PipeDemandInput> demand;

  uint64_t interval_bytes() const { return capacity * interval_ms / 1000; }
  uint64_t PerInterval(uint64_t per_second) const { return per_second * interval_ms / 1000; }
  bool per_app() const { return !apps.empty(); }
};

struct PlanDocument {
  policy::PlanInput cpu;
  std::vector<PipeInput> pipes;
};

// Refuses unknown fields, negative amounts, duplicate nodes, instances and
// policies, references to nodes that are not listed, and caps below the
// policy's amount; every message names the field.
Result<PlanDocument> ReadPlanDocument(const Json& doc);

}  // namespace shoal::ctl
