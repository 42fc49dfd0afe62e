// The CPU enforcer: puts each local application instance's processes in a
// group of its own and gives the group the planner's weight and quota.
// Three mechanisms, best first:
//
//   cgroup-v2  a child of PARENT in the unified hierarchy, where its cpu
//              controller is available: cpu.weight, cpu.max, usage from
//              cpu.stat.
//   cgroup-v1  PARENT in the cpu hierarchy (cpu.shares, cpu.cfs_quota_us)
//              and the same path in cpuacct (usage from cpuacct.usage); a
//              process is placed in both.
//   nice       no groups: each thread's nice value follows the weight
//              (1.25x per step, weight 100 = nice 0); quotas cannot be
//              held and are ignored.
//
// Groups are named "app-" + the application's name under PARENT (default
// "shoal"). PARENT gets a quota equal to the node's capacity when the
// configuration gives the node less than the whole machine (a slice).
// Groups found at start are adopted: Groups() lists them, and the caller
// removes those it no longer needs. Release() hands every process back to
// the cgroup above PARENT (nice: nice 0) and removes what Shoal created.
// Not thread-safe; file writes cost a few microseconds each.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "daemon/engine/cpu_enforcer.h"

namespace shoal::daemon {

using engine::CpuEnforcer;
using engine::CpuSetting;

struct EnforcerOptions {
  std::string kind = "auto";  // auto | cgroup-v2 | cgroup-v1 | nice
  std::string parent = "shoal";
  std::string v2_root;     // default: /sys/fs/cgroup if it is unified, else /sys/fs/cgroup/unified
  std::string v1_cpu = "/sys/fs/cgroup/cpu";
  std::string v1_cpuacct = "/sys/fs/cgroup/cpuacct";
  std::string proc = "/proc";
  // Quota for PARENT as a whole, in millicores (none: no limit).
  std::optional<int64_t> capacity_millicores;
};

// Picks and prepares the mechanism (creates PARENT). An explicit kind that
// is not available is an error naming what is missing; "auto" falls back
// down the list and never fails for lack of cgroups (nice always works, if
// only to lower priorities when not root).
Result<std::unique_ptr<CpuEnforcer>> MakeCpuEnforcer(const EnforcerOptions& options);

// The nice value the nice mechanism gives a weight.
int NiceForWeight(uint32_t weight);

}  // namespace shoal::daemon
