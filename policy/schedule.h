// Which shares each policy has in force at an instant: the policy's own,
// replaced by those of the schedule window that contains the local time
// (in the schedule's zone), replaced in turn by the failure adjustment
// while at least min-failed nodes are failed. A pure function of the
// document, the instant and the pool's facts, so every node that evaluates
// the same instant reaches the same result. Thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/cpu_planner.h"
#include "policy/model.h"
#include "policy/timezone.h"

namespace shoal::policy {

struct PoolFacts {
  int failed_nodes = 0;
};

struct EffectivePolicy {
  std::string application;
  int priority = 1;
  std::optional<CpuShare> cpu;
  std::vector<BandwidthShare> bandwidth;
  std::string source;  // "policy", "window on line N" or "on-failure"
};

class ScheduleEvaluator {
 public:
  // Loads the time zones the document's schedules name.
  static Result<ScheduleEvaluator> Create(const PolicyDocument& doc,
                                          const std::string& zoneinfo = "/usr/share/zoneinfo");
  // One entry per policy, in document order.
  std::vector<EffectivePolicy> Evaluate(int64_t utc_seconds, const PoolFacts& facts) const;

 private:
  PolicyDocument doc_;
  std::map<std::string, TimeZone> zones_;
};

// The CPU planner's policies from the effective ones (cores to millicores).
std::vector<CpuPolicy> ToPlannerPolicies(const std::vector<EffectivePolicy>& effective);

}  // namespace shoal::policy
