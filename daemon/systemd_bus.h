// The few calls of systemd's D-Bus API (org.freedesktop.systemd1) the
// systemd CPU enforcer makes, over sd-bus: which unit a process belongs
// to, a unit's CPU properties (read, and set at runtime), a transient
// scope started with processes in a slice, processes attached to a unit,
// a unit's processes and CPU time, a scope abandoned. Synchronous calls
// with a timeout; every error names the call, the unit and systemd's
// answer. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

struct sd_bus;

namespace shoal::daemon {

// CPUWeight and CPUQuotaPerSecUSec as systemd holds them: nullopt weight is
// "not set" (the default, 100), nullopt quota is "no quota".
struct UnitCpu {
  std::optional<uint64_t> weight;
  std::optional<uint64_t> quota_per_sec_us;
  bool operator==(const UnitCpu&) const = default;
};

class SystemdBus {
 public:
  // The system bus; `address` overrides it (a test's private bus).
  static Result<std::unique_ptr<SystemdBus>> Open(const std::string& address = "");
  ~SystemdBus();

  Result<std::string> UnitOfPid(int pid);
  Result<UnitCpu> GetCpu(const std::string& unit);
  Status SetCpu(const std::string& unit, const UnitCpu& cpu);
  // A transient scope in `slice` holding `pids`, with `cpu`.
  Status StartScope(const std::string& scope, const std::string& slice, const std::vector<int>& pids,
                    const UnitCpu& cpu);
  Status Attach(const std::string& unit, const std::vector<int>& pids);
  Result<std::vector<int>> Pids(const std::string& unit);
  Result<uint64_t> CpuUsageNs(const std::string& unit);
  Status Abandon(const std::string& scope);
  // Loaded units whose names match the shell pattern.
  Result<std::vector<std::string>> Units(const std::string& pattern);

 private:
  explicit SystemdBus(sd_bus* bus) : bus_(bus) {}
  Result<std::string> UnitPath(const std::string& unit);
  Result<uint64_t> GetU64(const std::string& unit, const char* interface, const char* property);

  sd_bus* bus_;
};

}  // namespace shoal::daemon
