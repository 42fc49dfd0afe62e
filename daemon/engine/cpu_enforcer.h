// The CPU enforcer: the engine's seam for putting each local application
// instance's processes in a group of its own with the planner's weight and
// quota. shoald's are in daemon/cpu_enforcer.h (cgroup v2, v1, nice); the
// simulator's applies the settings to its simulated applications.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace shoal::engine {

struct CpuSetting {
  uint32_t weight = 100;             // 1..10000, cgroup v2 units
  std::optional<int64_t> quota_us;   // per period_us; none: no cap
  int64_t period_us = 100'000;
  bool operator==(const CpuSetting&) const = default;
};

class CpuEnforcer {
 public:
  virtual ~CpuEnforcer() = default;
  virtual const char* kind() const = 0;
  // The groups under PARENT, without the "app-" prefix (those of an earlier
  // run are adopted this way).
  virtual std::vector<std::string> Groups() const = 0;
  // Creates the group if needed and writes the settings that changed.
  virtual Status Apply(const std::string& app, const CpuSetting& setting) = 0;
  // Moves a process (all its threads) into the application's group. A
  // process that has exited is not an error.
  virtual Status Move(const std::string& app, int pid) = 0;
  // The pids in the group (nice: those moved and still alive).
  virtual std::vector<int> Pids(const std::string& app) const = 0;
  // CPU time used by the group since it was created, if the mechanism counts it.
  virtual std::optional<uint64_t> UsageNs(const std::string& app) const = 0;
  // Hands the group's processes back and removes it.
  virtual Status Remove(const std::string& app) = 0;
  // Removes every group and PARENT.
  virtual Status Release() = 0;
  // Where the application's group lives, for people ("" for nice).
  virtual std::string Path(const std::string& app) const = 0;
};

}  // namespace shoal::engine
