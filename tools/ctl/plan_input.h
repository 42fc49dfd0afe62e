// The what-if document `shoalctl plan FILE` reads: a view of the pool plus
// the policies to plan it under, and optionally pipes with each node's queued
// bytes. README.md ("shoalctl plan") documents the format; CPU amounts are
// millicores, pipe amounts bytes.
#pragma once

#include <string>
#include <vector>

#include "bwman/pipe_credit.h"
#include "core/result.h"
#include "policy/cpu_planner.h"
#include "tools/ctl/json_input.h"

namespace shoal::ctl {

struct PipeInput {
  std::string name;
  uint64_t capacity = 0;     // bytes per second
  uint64_t interval_ms = 20;
  double immediate_share = bwman::kDefaultImmediateShare;
  std::vector<std::pair<NodeId, bwman::Queued>> queued;

  uint64_t interval_bytes() const { return capacity * interval_ms / 1000; }
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
