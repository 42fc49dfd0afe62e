#include "daemon/systemd_bus.h"

#include <systemd/sd-bus.h>

#include <cstring>

namespace shoal::daemon {
namespace {

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr uint64_t kUnset = UINT64_MAX;  // systemd's "not set" / "infinity"

// Frees what sd-bus hands out when the scope ends.
struct Call {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL (a compound literal, not C++)
  sd_bus_message* reply = nullptr;
  sd_bus_message* request = nullptr;
  ~Call() {
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(request);
  }
  Error Failed(std::string_view what, int rc) const {
    return MakeError("systemd {}: {}", what,
                     error.message != nullptr ? error.message : std::strerror(rc < 0 ? -rc : rc));
  }
};

// The type-specific interface that holds a unit's cgroup properties.
std::string TypeInterface(const std::string& unit) {
  const auto dot = unit.rfind('.');
  std::string type = dot == std::string::npos ? "" : unit.substr(dot + 1);
  if (!type.empty()) type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
  return "org.freedesktop.systemd1." + type;
}

int AppendU64(sd_bus_message* m, const char* name, uint64_t value) {
  return sd_bus_message_append(m, "(sv)", name, "t", value);
}

int AppendCpu(sd_bus_message* m, const UnitCpu& cpu) {
  int rc = AppendU64(m, "CPUWeight", cpu.weight.value_or(kUnset));
  if (rc >= 0) rc = AppendU64(m, "CPUQuotaPerSecUSec", cpu.quota_per_sec_us.value_or(kUnset));
  return rc;
}

int AppendPids(sd_bus_message* m, const std::vector<int>& pids) {
  int rc = sd_bus_message_open_container(m, 'a', "u");
  for (int pid : pids) {
    if (rc >= 0) rc = sd_bus_message_append(m, "u", static_cast<uint32_t>(pid));
  }
  return rc >= 0 ? sd_bus_message_close_container(m) : rc;
}

}  // namespace

Result<std::unique_ptr<SystemdBus>> SystemdBus::Open(const std::string& address) {
  sd_bus* bus = nullptr;
  int rc = 0;
  if (address.empty()) {
    rc = sd_bus_open_system(&bus);
  } else if ((rc = sd_bus_new(&bus)) >= 0) {
    rc = sd_bus_set_address(bus, address.c_str());
    if (rc >= 0) rc = sd_bus_set_bus_client(bus, 1);
    if (rc >= 0) rc = sd_bus_start(bus);
  }
  if (rc < 0) {
    sd_bus_unref(bus);
    return MakeError("cannot reach systemd's D-Bus{}: {}", address.empty() ? "" : " at " + address,
                     std::strerror(-rc));
  }
  return std::unique_ptr<SystemdBus>(new SystemdBus(bus));
}

SystemdBus::~SystemdBus() { sd_bus_flush_close_unref(bus_); }

Result<std::string> SystemdBus::UnitPath(const std::string& unit) {
  Call c;
  int rc = sd_bus_call_method(bus_, kDest, kManagerPath, kManager, "GetUnit", &c.error, &c.reply, "s", unit.c_str());
  const char* path = nullptr;
  if (rc >= 0) rc = sd_bus_message_read(c.reply, "o", &path);
  if (rc < 0) return c.Failed("GetUnit " + unit, rc);
  return std::string(path);
}

Result<std::string> SystemdBus::UnitOfPid(int pid) {
  Call c;
  int rc = sd_bus_call_method(bus_, kDest, kManagerPath, kManager, "GetUnitByPID", &c.error, &c.reply, "u",
                              static_cast<uint32_t>(pid));
  const char* path = nullptr;
  if (rc >= 0) rc = sd_bus_message_read(c.reply, "o", &path);
  if (rc < 0) return c.Failed(fmt::format("GetUnitByPID {}", pid), rc);
  char* id = nullptr;
  rc = sd_bus_get_property_string(bus_, kDest, path, "org.freedesktop.systemd1.Unit", "Id", &c.error, &id);
  if (rc < 0) return c.Failed(fmt::format("the Id of {}", path), rc);
  std::string name(id);
  free(id);
  return name;
}

Result<uint64_t> SystemdBus::GetU64(const std::string& unit, const char* interface, const char* property) {
  auto path = UnitPath(unit);
  if (!path.ok()) return path.error();
  Call c;
  uint64_t value = 0;
  int rc = sd_bus_get_property_trivial(bus_, kDest, path->c_str(), interface, property, &c.error, 't', &value);
  if (rc < 0) return c.Failed(fmt::format("{} of {}", property, unit), rc);
  return value;
}

Result<UnitCpu> SystemdBus::GetCpu(const std::string& unit) {
  const std::string iface = TypeInterface(unit);
  auto weight = GetU64(unit, iface.c_str(), "CPUWeight");
  if (!weight.ok()) return weight.error();
  auto quota = GetU64(unit, iface.c_str(), "CPUQuotaPerSecUSec");
  if (!quota.ok()) return quota.error();
  UnitCpu cpu;
  if (*weight != kUnset) cpu.weight = *weight;
  if (*quota != kUnset) cpu.quota_per_sec_us = *quota;
  return cpu;
}

Status SystemdBus::SetCpu(const std::string& unit, const UnitCpu& cpu) {
  Call c;
  int rc = sd_bus_message_new_method_call(bus_, &c.request, kDest, kManagerPath, kManager, "SetUnitProperties");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "sb", unit.c_str(), 1);  // runtime: gone at reboot
  if (rc >= 0) rc = sd_bus_message_open_container(c.request, 'a', "(sv)");
  if (rc >= 0) rc = AppendCpu(c.request, cpu);
  if (rc >= 0) rc = sd_bus_message_close_container(c.request);
  if (rc >= 0) rc = sd_bus_call(bus_, c.request, 0, &c.error, &c.reply);
  if (rc < 0) return c.Failed("SetUnitProperties " + unit, rc);
  return Status::Ok();
}

Status SystemdBus::StartScope(const std::string& scope, const std::string& slice, const std::vector<int>& pids,
                              const UnitCpu& cpu) {
  Call c;
  int rc = sd_bus_message_new_method_call(bus_, &c.request, kDest, kManagerPath, kManager, "StartTransientUnit");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "ss", scope.c_str(), "fail");
  if (rc >= 0) rc = sd_bus_message_open_container(c.request, 'a', "(sv)");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "(sv)", "Description", "s", "Shoal: an application's processes");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "(sv)", "Slice", "s", slice.c_str());
  if (rc >= 0) rc = sd_bus_message_open_container(c.request, 'r', "sv");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "s", "PIDs");
  if (rc >= 0) rc = sd_bus_message_open_container(c.request, 'v', "au");
  if (rc >= 0) rc = AppendPids(c.request, pids);
  if (rc >= 0) rc = sd_bus_message_close_container(c.request);
  if (rc >= 0) rc = sd_bus_message_close_container(c.request);
  if (rc >= 0) rc = AppendCpu(c.request, cpu);
  if (rc >= 0) rc = sd_bus_message_close_container(c.request);
  if (rc >= 0) rc = sd_bus_message_append(c.request, "a(sa(sv))", 0);
  if (rc >= 0) rc = sd_bus_call(bus_, c.request, 0, &c.error, &c.reply);
  if (rc < 0) return c.Failed("StartTransientUnit " + scope, rc);
  return Status::Ok();
}

Status SystemdBus::Attach(const std::string& unit, const std::vector<int>& pids) {
  Call c;
  int rc =
      sd_bus_message_new_method_call(bus_, &c.request, kDest, kManagerPath, kManager, "AttachProcessesToUnit");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "ss", unit.c_str(), "/");
  if (rc >= 0) rc = AppendPids(c.request, pids);
  if (rc >= 0) rc = sd_bus_call(bus_, c.request, 0, &c.error, &c.reply);
  if (rc < 0) return c.Failed("AttachProcessesToUnit " + unit, rc);
  return Status::Ok();
}

Result<std::vector<int>> SystemdBus::Pids(const std::string& unit) {
  Call c;
  int rc = sd_bus_call_method(bus_, kDest, kManagerPath, kManager, "GetUnitProcesses", &c.error, &c.reply, "s",
                              unit.c_str());
  if (rc >= 0) rc = sd_bus_message_enter_container(c.reply, 'a', "(sus)");
  std::vector<int> pids;
  while (rc >= 0) {
    const char* cgroup = nullptr;
    const char* command = nullptr;
    uint32_t pid = 0;
    rc = sd_bus_message_read(c.reply, "(sus)", &cgroup, &pid, &command);
    if (rc <= 0) break;
    pids.push_back(static_cast<int>(pid));
  }
  if (rc < 0) return c.Failed("GetUnitProcesses " + unit, rc);
  return pids;
}

Result<uint64_t> SystemdBus::CpuUsageNs(const std::string& unit) {
  return GetU64(unit, TypeInterface(unit).c_str(), "CPUUsageNSec");
}

Status SystemdBus::Abandon(const std::string& scope) {
  Call c;
  int rc = sd_bus_call_method(bus_, kDest, kManagerPath, kManager, "AbandonScope", &c.error, &c.reply, "s",
                              scope.c_str());
  if (rc < 0) return c.Failed("AbandonScope " + scope, rc);
  return Status::Ok();
}

Result<std::vector<std::string>> SystemdBus::Units(const std::string& pattern) {
  Call c;
  int rc = sd_bus_message_new_method_call(bus_, &c.request, kDest, kManagerPath, kManager, "ListUnitsByPatterns");
  if (rc >= 0) rc = sd_bus_message_append(c.request, "as", 0);
  if (rc >= 0) rc = sd_bus_message_append(c.request, "as", 1, pattern.c_str());
  if (rc >= 0) rc = sd_bus_call(bus_, c.request, 0, &c.error, &c.reply);
  if (rc >= 0) rc = sd_bus_message_enter_container(c.reply, 'a', "(ssssssouso)");
  std::vector<std::string> names;
  while (rc >= 0) {
    const char *name = nullptr, *s1, *s2, *s3, *s4, *s5, *o1, *s6, *o2;
    uint32_t job = 0;
    rc = sd_bus_message_read(c.reply, "(ssssssouso)", &name, &s1, &s2, &s3, &s4, &s5, &o1, &job, &s6, &o2);
    if (rc <= 0) break;
    names.emplace_back(name);
  }
  if (rc < 0) return c.Failed("ListUnitsByPatterns " + pattern, rc);
  return names;
}

}  // namespace shoal::daemon
