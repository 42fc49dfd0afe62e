// systemd's D-Bus API as far as the systemd CPU enforcer uses it, served
// on a real private bus: a dbus-daemon the fake starts (and ends, by its
// id), and the org.freedesktop.systemd1 name owned by a thread of the test
// with sd-bus. It keeps units (their processes, CPUWeight,
// CPUQuotaPerSecUSec, CPUUsageNSec) and logs every call that changes
// something, so a test checks the exact calls. Processes are the test's
// own real children (the enforcer checks they are alive).
#pragma once

#include <systemd/sd-bus.h>

#include <atomic>
#include <filesystem>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "test/support/process.h"
#include "test/support/temp_dir.h"

namespace shoal::testing {

class FakeSystemd {
 public:
  struct Unit {
    std::set<int> pids;
    uint64_t weight = UINT64_MAX;  // not set
    uint64_t quota = UINT64_MAX;   // infinity
    uint64_t usage_ns = 0;
    bool abandoned = false;
  };

  FakeSystemd() {
    address_ = "unix:path=" + dir_.File("bus");
    daemon_ = Spawn({"/usr/bin/dbus-daemon", "--session", "--nofork", "--address=" + address_}, "",
                    SpawnOptions{{}, dir_.File("dbus-daemon.log")});
    REQUIRE(daemon_.pid > 0);
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_.File("bus")); ++i) ::usleep(10'000);
    REQUIRE(std::filesystem::exists(dir_.File("bus")));
    Connect();
    REQUIRE(sd_bus_add_object_vtable(bus_, nullptr, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                     kManager, this) >= 0);
    for (const char* iface : {"org.freedesktop.systemd1.Unit", "org.freedesktop.systemd1.Service",
                              "org.freedesktop.systemd1.Scope"}) {
      REQUIRE(sd_bus_add_fallback_vtable(bus_, nullptr, "/org/freedesktop/systemd1/unit", iface, kUnitProps,
                                         &FindUnit, this) >= 0);
    }
    REQUIRE(sd_bus_request_name(bus_, "org.freedesktop.systemd1", 0) >= 0);
    loop_ = std::thread([this] {
      while (!stop_) {
        int r = sd_bus_process(bus_, nullptr);
        if (r == 0) sd_bus_wait(bus_, 50'000);
      }
    });
  }
  ~FakeSystemd() {
    stop_ = true;
    loop_.join();
    sd_bus_flush_close_unref(bus_);
  }

  const std::string& address() const { return address_; }
  void AddUnit(const std::string& name, std::set<int> pids, uint64_t weight = UINT64_MAX) {
    std::lock_guard l(mu_);
    units_[name].pids = std::move(pids);
    units_[name].weight = weight;
  }
  Unit unit(const std::string& name) {
    std::lock_guard l(mu_);
    return units_.at(name);
  }
  bool has(const std::string& name) {
    std::lock_guard l(mu_);
    return units_.count(name) > 0;
  }
  void SetUsage(const std::string& name, uint64_t ns) {
    std::lock_guard l(mu_);
    units_[name].usage_ns = ns;
  }
  std::vector<std::string> calls() {
    std::lock_guard l(mu_);
    return calls_;
  }
  void ClearCalls() {
    std::lock_guard l(mu_);
    calls_.clear();
  }

 private:
  // The socket file appears at bind(), a moment before dbus-daemon
  // listens: a connection refused then is tried again (up to 5 s).
  void Connect() {
    int r = -ECONNREFUSED;
    for (int i = 0; i < 500 && r == -ECONNREFUSED; ++i) {
      if (bus_ != nullptr) {
        bus_ = sd_bus_unref(bus_);
        ::usleep(10'000);
      }
      REQUIRE(sd_bus_new(&bus_) >= 0);
      REQUIRE(sd_bus_set_address(bus_, address_.c_str()) >= 0);
      REQUIRE(sd_bus_set_bus_client(bus_, 1) >= 0);
      r = sd_bus_start(bus_);
    }
    INFO("dbus-daemon at " << address_);
    REQUIRE(r >= 0);
  }
  static FakeSystemd& Self(void* p) { return *static_cast<FakeSystemd*>(p); }
  static std::string Path(const std::string& unit) {
    char* p = nullptr;
    sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &p);
    std::string out(p);
    free(p);
    return out;
  }
  static std::string NameOf(const char* path) {
    char* n = nullptr;
    sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &n);
    std::string out = n ? n : "";
    free(n);
    return out;
  }
  static std::string Num(uint64_t v) { return v == UINT64_MAX ? "inf" : std::to_string(v); }

  static int NoUnit(sd_bus_error* e, const std::string& name) {
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name.c_str());
  }

  static int GetUnit(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    sd_bus_message_read(m, "s", &name);
    std::lock_guard l(Self(p).mu_);
    if (!Self(p).units_.count(name)) return NoUnit(e, name);
    return sd_bus_reply_method_return(m, "o", Path(name).c_str());
  }
  static int GetUnitByPID(sd_bus_message* m, void* p, sd_bus_error* e) {
    uint32_t pid = 0;
    sd_bus_message_read(m, "u", &pid);
    std::lock_guard l(Self(p).mu_);
    for (const auto& [name, u] : Self(p).units_) {
      if (u.pids.count(static_cast<int>(pid))) return sd_bus_reply_method_return(m, "o", Path(name).c_str());
    }
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoUnitForPID", "PID %u does not belong to any loaded unit.",
                             pid);
  }
  // a(sv) of CPUWeight / CPUQuotaPerSecUSec / Slice / PIDs, into `u` and a log line.
  static int ReadProps(sd_bus_message* m, Unit& u, std::string& log) {
    int r = sd_bus_message_enter_container(m, 'a', "(sv)");
    while (r > 0 && (r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
      const char* key = nullptr;
      sd_bus_message_read(m, "s", &key);
      const std::string k = key;
      if (k == "CPUWeight" || k == "CPUQuotaPerSecUSec") {
        uint64_t v = 0;
        sd_bus_message_read(m, "v", "t", &v);
        (k == "CPUWeight" ? u.weight : u.quota) = v;
        log += fmt::format(" {}={}", k, Num(v));
      } else if (k == "PIDs") {
        sd_bus_message_enter_container(m, 'v', "au");
        sd_bus_message_enter_container(m, 'a', "u");
        uint32_t pid = 0;
        while (sd_bus_message_read(m, "u", &pid) > 0) {
          u.pids.insert(static_cast<int>(pid));
          log += fmt::format(" PID={}", pid);
        }
        sd_bus_message_exit_container(m);
        sd_bus_message_exit_container(m);
      } else {
        const char* s = nullptr;
        sd_bus_message_read(m, "v", "s", &s);
        log += fmt::format(" {}={}", k, s);
      }
      sd_bus_message_exit_container(m);
    }
    return sd_bus_message_exit_container(m);
  }
  static int SetUnitProperties(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    int runtime = 0;
    sd_bus_message_read(m, "sb", &name, &runtime);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    if (!f.units_.count(name)) return NoUnit(e, name);
    std::string log = fmt::format("SetUnitProperties {}{}", name, runtime ? " runtime" : "");
    ReadProps(m, f.units_[name], log);
    f.calls_.push_back(log);
    return sd_bus_reply_method_return(m, "");
  }
  static int StartTransientUnit(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    const char* mode = nullptr;
    sd_bus_message_read(m, "ss", &name, &mode);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    if (f.units_.count(name)) {
      return sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", name);
    }
    Unit u;
    std::string log = fmt::format("StartTransientUnit {} {}", name, mode);
    ReadProps(m, u, log);
    for (auto& [n, other] : f.units_) {
      for (int pid : u.pids) other.pids.erase(pid);
    }
    f.units_[name] = u;
    f.calls_.push_back(log);
    return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/1");
  }
  static int AttachProcessesToUnit(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    const char* sub = nullptr;
    sd_bus_message_read(m, "ss", &name, &sub);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    if (!f.units_.count(name)) return NoUnit(e, name);
    std::string log = fmt::format("AttachProcessesToUnit {} {}", name, sub);
    sd_bus_message_enter_container(m, 'a', "u");
    uint32_t pid = 0;
    while (sd_bus_message_read(m, "u", &pid) > 0) {
      for (auto& [n, other] : f.units_) other.pids.erase(static_cast<int>(pid));
      f.units_[name].pids.insert(static_cast<int>(pid));
      log += fmt::format(" {}", pid);
    }
    f.calls_.push_back(log);
    return sd_bus_reply_method_return(m, "");
  }
  static int GetUnitProcesses(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    sd_bus_message_read(m, "s", &name);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    if (!f.units_.count(name)) return NoUnit(e, name);
    sd_bus_message* reply = nullptr;
    sd_bus_message_new_method_return(m, &reply);
    sd_bus_message_open_container(reply, 'a', "(sus)");
    for (int pid : f.units_[name].pids) {
      sd_bus_message_append(reply, "(sus)", ("/" + std::string(name)).c_str(), static_cast<uint32_t>(pid), "cmd");
    }
    sd_bus_message_close_container(reply);
    int r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
  }
  static int AbandonScope(sd_bus_message* m, void* p, sd_bus_error* e) {
    const char* name = nullptr;
    sd_bus_message_read(m, "s", &name);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    if (!f.units_.count(name)) return NoUnit(e, name);
    f.units_[name].abandoned = true;
    f.calls_.push_back(fmt::format("AbandonScope {}", name));
    return sd_bus_reply_method_return(m, "");
  }
  static int ListUnitsByPatterns(sd_bus_message* m, void* p, sd_bus_error*) {
    char** states = nullptr;  // ignored: every unit the fake has is active
    sd_bus_message_read_strv(m, &states);
    for (char** s = states; s && *s; ++s) free(*s);
    free(states);
    char** pats = nullptr;
    sd_bus_message_read_strv(m, &pats);
    FakeSystemd& f = Self(p);
    std::lock_guard l(f.mu_);
    sd_bus_message* reply = nullptr;
    sd_bus_message_new_method_return(m, &reply);
    sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
    for (const auto& [name, u] : f.units_) {
      const std::string pat = pats && pats[0] ? pats[0] : "*";
      const std::string prefix = pat.substr(0, pat.find('*')), suffix = pat.substr(pat.find('*') + 1);
      if (!name.starts_with(prefix) || !name.ends_with(suffix)) continue;
      sd_bus_message_append(reply, "(ssssssouso)", name.c_str(), "", "loaded", "active", "running", "",
                            Path(name).c_str(), 0u, "", "/");
    }
    sd_bus_message_close_container(reply);
    for (char** s = pats; s && *s; ++s) free(*s);
    free(pats);
    int r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
  }

  static int FindUnit(sd_bus*, const char* path, const char*, void* p, void** found, sd_bus_error*) {
    std::lock_guard l(Self(p).mu_);
    if (!Self(p).units_.count(NameOf(path))) return 0;
    *found = p;
    return 1;
  }
  static int Property(sd_bus*, const char* path, const char*, const char* property, sd_bus_message* reply, void* p,
                      sd_bus_error*) {
    FakeSystemd& f = Self(p);
    const std::string name = NameOf(path);
    std::lock_guard l(f.mu_);
    const Unit& u = f.units_[name];
    const std::string prop = property;
    if (prop == "Id") return sd_bus_message_append(reply, "s", name.c_str());
    if (prop == "CPUWeight") return sd_bus_message_append(reply, "t", u.weight);
    if (prop == "CPUQuotaPerSecUSec") return sd_bus_message_append(reply, "t", u.quota);
    return sd_bus_message_append(reply, "t", u.usage_ns);
  }

  static inline const sd_bus_vtable kManager[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD("GetUnit", "s", "o", GetUnit, 0),
      SD_BUS_METHOD("GetUnitByPID", "u", "o", GetUnitByPID, 0),
      SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", SetUnitProperties, 0),
      SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", StartTransientUnit, 0),
      SD_BUS_METHOD("AttachProcessesToUnit", "ssau", "", AttachProcessesToUnit, 0),
      SD_BUS_METHOD("GetUnitProcesses", "s", "a(sus)", GetUnitProcesses, 0),
      SD_BUS_METHOD("AbandonScope", "s", "", AbandonScope, 0),
      SD_BUS_METHOD("ListUnitsByPatterns", "asas", "a(ssssssouso)", ListUnitsByPatterns, 0),
      SD_BUS_VTABLE_END};
  static inline const sd_bus_vtable kUnitProps[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_PROPERTY("Id", "s", Property, 0, 0),
      SD_BUS_PROPERTY("CPUWeight", "t", Property, 0, 0),
      SD_BUS_PROPERTY("CPUQuotaPerSecUSec", "t", Property, 0, 0),
      SD_BUS_PROPERTY("CPUUsageNSec", "t", Property, 0, 0),
      SD_BUS_VTABLE_END};

  TempDir dir_;
  std::string address_;
  Child daemon_;
  sd_bus* bus_ = nullptr;
  std::thread loop_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, Unit> units_;
  std::vector<std::string> calls_;
};

}  // namespace shoal::testing
