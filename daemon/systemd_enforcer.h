// The CPU enforcer on a host run by systemd (cgroup v2), which owns the
// cgroup tree: Shoal asks systemd over D-Bus instead of writing cgroup
// files behind its back (daemon/systemd_bus.h).
//
// Why this shape: systemd keeps every process in the cgroup of the unit
// that started it and resets what others change there. So a process that
// belongs to a service unit stays where it is, and the application's
// weight and quota are set on that unit (SetUnitProperties CPUWeight,
// CPUQuotaPerSecUSec, at runtime only; its own values are read first and
// put back when Shoal lets go). Processes outside any service (a login
// session, a shell, init.scope) are placed in a transient scope of the
// application's, "shoal-app-NAME.scope" in "shoal.slice"
// (StartTransientUnit, then AttachProcessesToUnit), with the weight and
// quota on the scope; the unit each came from is remembered so that
// letting go attaches it back there (or, when that unit is gone, leaves it
// in the scope with no limits, abandoned). shoald's own unit is never
// touched. No Delegate=: Shoal manages no subtree itself; systemd's unit
// properties are its whole interface. A unit that holds processes of two
// applications gets the settings of the last one applied (said in the log
// by the caller when Path shows it twice).
// Not thread-safe; each call is a synchronous D-Bus round trip.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "daemon/engine/cpu_enforcer.h"
#include "daemon/systemd_bus.h"

namespace shoal::daemon {

class SystemdEnforcer final : public engine::CpuEnforcer {
 public:
  // `self_unit`: shoald's own unit, left alone ("" when it has none).
  SystemdEnforcer(std::unique_ptr<SystemdBus> bus, std::string self_unit, std::string slice = "shoal.slice");

  const char* kind() const override { return "systemd"; }
  std::vector<std::string> Groups() const override;
  Status Apply(const std::string& app, const engine::CpuSetting& setting) override;
  Status Move(const std::string& app, int pid) override;
  std::vector<int> Pids(const std::string& app) const override;
  std::optional<uint64_t> UsageNs(const std::string& app) const override;
  Status Remove(const std::string& app) override;
  Status Release() override;
  std::string Path(const std::string& app) const override;

  // "shoal-app-NAME.scope", NAME escaped as systemd-escape does.
  static std::string ScopeName(const std::string& app);
  static UnitCpu ToUnitCpu(const engine::CpuSetting& s);

 private:
  struct App {
    engine::CpuSetting setting;
    bool scope = false;                     // the scope exists
    std::map<std::string, UnitCpu> services;  // unit -> its own settings, to put back
    std::map<int, std::string> origins;     // pid moved into the scope -> the unit it came from
  };
  Status ApplyTo(const std::string& unit, const App& a);
  Status MoveIntoScope(const std::string& app, App& a, int pid, const std::string& from);
  void HandBackScope(const std::string& app, App& a);

  std::unique_ptr<SystemdBus> bus_;
  std::string self_unit_;
  std::string slice_;
  std::map<std::string, App> apps_;
};

// True on a host booted with systemd whose cgroups are unified (v2): there
// cpu.enforcer "auto" means this enforcer.
bool SystemdOwnsCgroups();

// Opens the bus (the system bus, or `bus_address`) and finds shoald's own
// unit; an error says what is missing.
Result<std::unique_ptr<engine::CpuEnforcer>> MakeSystemdEnforcer(const std::string& bus_address = "");

}  // namespace shoal::daemon
