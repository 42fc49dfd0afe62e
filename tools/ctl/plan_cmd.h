// `shoalctl plan FILE`: the whole plan for a what-if document, for people
// (tables) or scripts (--json): per application its entitlement, per node and
// instance the booking, allocation, weight and quota, per pipe each node's
// credit for one interval (and, per application, each one's part of it).
#pragma once

#include <string>
#include <vector>

#include "bwman/pipe_credit.h"
#include "bwman/pipe_round.h"
#include "bwman/round_explain.h"
#include "policy/cpu_planner.h"
#include "tools/ctl/plan_input.h"

namespace shoal::ctl {

struct PipePlan {
  PipeInput input;
  bwman::Division division;  // credits[i] belongs to CpuPlan::nodes[i]
  // Per application (input.per_app()): the daemons' round, slots as
  // input.apps; its nodes are the division.
  bwman::RoundInput round_input;
  bwman::Round round;

  bwman::RoundNames Names(const policy::CpuPlan& cpu) const;
};

struct PlanResult {
  policy::CpuPlan cpu;
  std::vector<PipePlan> pipes;
};

PlanResult RunPlan(const PlanDocument& doc);

std::string PlanText(const PlanResult& plan);
std::string PlanJson(const PlanResult& plan);
// `plan --explain NAME`: an application's CPU share and its credit on every
// pipe it uses, or a pipe's division among the nodes. Fails naming what is
// neither.
Result<std::string> ExplainPlan(const PlanResult& plan, const std::string& name);

}  // namespace shoal::ctl
