// `shoalctl plan FILE`: the whole plan for a what-if document, for people
// (tables) or scripts (--json): per application its entitlement, per node and
// instance the booking, allocation, weight and quota, per pipe each node's
// credit for one interval.
#pragma once

#include <string>
#include <vector>

#include "bwman/pipe_credit.h"
#include "policy/cpu_planner.h"
#include "tools/ctl/plan_input.h"

namespace shoal::ctl {

struct PipePlan {
  PipeInput input;
  bwman::Division division;  // credits[i] belongs to CpuPlan::nodes[i]
};

struct PlanResult {
  policy::CpuPlan cpu;
  std::vector<PipePlan> pipes;
};

PlanResult RunPlan(const PlanDocument& doc);

std::string PlanText(const PlanResult& plan);
std::string PlanJson(const PlanResult& plan);

}  // namespace shoal::ctl
