#include "daemon/systemd_enforcer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace shoal::daemon {
namespace {

constexpr const char* kScopePrefix = "shoal-app-";
constexpr const char* kScopeSuffix = ".scope";

bool Alive(int pid) {
  struct stat st {};
  return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

bool IsService(const std::string& unit) { return unit.ends_with(".service"); }

// systemd-escape's rule for a unit name part: [A-Za-z0-9:_.] stay (but
// not a leading '.'), '/' becomes '-', anything else \xHH.
std::string Escape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c) || c == ':' || c == '_' || (c == '.' && i > 0)) {
      out += static_cast<char>(c);
    } else if (c == '/') {
      out += '-';
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      out += static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16));
      i += 3;
    } else {
      out += s[i] == '-' ? '/' : s[i];
    }
  }
  return out;
}

}  // namespace

SystemdEnforcer::SystemdEnforcer(std::unique_ptr<SystemdBus> bus, std::string self_unit, std::string slice)
    : bus_(std::move(bus)), self_unit_(std::move(self_unit)), slice_(std::move(slice)) {}

std::string SystemdEnforcer::ScopeName(const std::string& app) { return kScopePrefix + Escape(app) + kScopeSuffix; }

UnitCpu SystemdEnforcer::ToUnitCpu(const engine::CpuSetting& s) {
  UnitCpu cpu;
  cpu.weight = s.weight;
  if (s.quota_us && s.period_us > 0) cpu.quota_per_sec_us = static_cast<uint64_t>(*s.quota_us) * 1'000'000 / s.period_us;
  return cpu;
}

std::vector<std::string> SystemdEnforcer::Groups() const {
  std::set<std::string> out;
  for (const auto& [app, a] : apps_) {
    if (a.scope || !a.services.empty()) out.insert(app);
  }
  // Scopes an earlier run left: adopted by name.
  if (auto units = bus_->Units(std::string(kScopePrefix) + "*" + kScopeSuffix); units.ok()) {
    const size_t prefix = std::string_view(kScopePrefix).size(), suffix = std::string_view(kScopeSuffix).size();
    for (const auto& u : *units) out.insert(Unescape(u.substr(prefix, u.size() - prefix - suffix)));
  }
  return {out.begin(), out.end()};
}

Status SystemdEnforcer::ApplyTo(const std::string& unit, const App& a) { return bus_->SetCpu(unit, ToUnitCpu(a.setting)); }

Status SystemdEnforcer::Apply(const std::string& app, const engine::CpuSetting& setting) {
  App& a = apps_[app];
  if (a.setting == setting && (a.scope || !a.services.empty())) return Status::Ok();
  a.setting = setting;
  Status first;
  if (a.scope) first = ApplyTo(ScopeName(app), a);
  for (const auto& [unit, own] : a.services) {
    if (auto s = ApplyTo(unit, a); !s.ok() && first.ok()) first = s;
  }
  return first;
}

Status SystemdEnforcer::MoveIntoScope(const std::string& app, App& a, int pid, const std::string& from) {
  const std::string scope = ScopeName(app);
  Status s = a.scope ? bus_->Attach(scope, {pid}) : bus_->StartScope(scope, slice_, {pid}, ToUnitCpu(a.setting));
  // A scope an earlier run left (adopted by name) exists already: attach.
  if (!s.ok() && !a.scope) s = bus_->Attach(scope, {pid});
  if (!s.ok()) return Alive(pid) ? s : Status::Ok();
  if (!a.scope) {
    a.scope = true;
    (void)ApplyTo(scope, a);
  }
  a.origins[pid] = from;
  return Status::Ok();
}

Status SystemdEnforcer::Move(const std::string& app, int pid) {
  auto unit = bus_->UnitOfPid(pid);
  if (!unit.ok()) return Alive(pid) ? Status(unit.error()) : Status::Ok();
  if (*unit == ScopeName(app) || *unit == self_unit_) return Status::Ok();
  App& a = apps_[app];
  if (a.services.contains(*unit)) return Status::Ok();
  if (!IsService(*unit)) return MoveIntoScope(app, a, pid, *unit);
  // A service's process stays in its unit; the unit gets the application's settings.
  auto own = bus_->GetCpu(*unit);
  if (!own.ok()) return own.error();
  a.services.emplace(*unit, *own);
  return ApplyTo(*unit, a);
}

std::vector<int> SystemdEnforcer::Pids(const std::string& app) const {
  std::vector<int> pids;
  auto it = apps_.find(app);
  if (it == apps_.end()) return pids;
  auto add = [&](const std::string& unit) {
    if (auto p = bus_->Pids(unit); p.ok()) pids.insert(pids.end(), p->begin(), p->end());
  };
  if (it->second.scope) add(ScopeName(app));
  for (const auto& [unit, own] : it->second.services) add(unit);
  return pids;
}

std::optional<uint64_t> SystemdEnforcer::UsageNs(const std::string& app) const {
  auto it = apps_.find(app);
  if (it == apps_.end()) return std::nullopt;
  uint64_t total = 0;
  std::vector<std::string> units;
  if (it->second.scope) units.push_back(ScopeName(app));
  for (const auto& [unit, own] : it->second.services) units.push_back(unit);
  for (const auto& u : units) {
    auto ns = bus_->CpuUsageNs(u);
    if (!ns.ok() || *ns == UINT64_MAX) return std::nullopt;  // accounting off for the unit
    total += *ns;
  }
  return units.empty() ? std::nullopt : std::optional<uint64_t>(total);
}

void SystemdEnforcer::HandBackScope(const std::string& app, App& a) {
  const std::string scope = ScopeName(app);
  std::map<std::string, std::vector<int>> by_origin;
  for (const auto& [pid, from] : a.origins) {
    if (Alive(pid)) by_origin[from].push_back(pid);
  }
  for (const auto& [from, pids] : by_origin) {
    if (auto s = bus_->Attach(from, pids); !s.ok()) {
      spdlog::warn("{}: could not hand {} process(es) back to {}: {}; they stay in the scope, unlimited", scope,
                   pids.size(), from, s.error().message);
    }
  }
  // What is left (or came from a unit that is gone) runs unlimited; the
  // scope goes when its last process does.
  (void)bus_->SetCpu(scope, UnitCpu{});
  (void)bus_->Abandon(scope);
}

Status SystemdEnforcer::Remove(const std::string& app) {
  auto it = apps_.find(app);
  if (it == apps_.end()) {
    // Adopted from an earlier run by name only.
    (void)bus_->SetCpu(ScopeName(app), UnitCpu{});
    (void)bus_->Abandon(ScopeName(app));
    return Status::Ok();
  }
  Status first;
  for (const auto& [unit, own] : it->second.services) {
    if (auto s = bus_->SetCpu(unit, own); !s.ok() && first.ok()) first = s;
  }
  if (it->second.scope) HandBackScope(app, it->second);
  apps_.erase(it);
  return first;
}

Status SystemdEnforcer::Release() {
  Status first;
  for (const auto& app : Groups()) {
    if (auto s = Remove(app); !s.ok() && first.ok()) first = s;
  }
  return first;
}

bool SystemdOwnsCgroups() {
  std::error_code ec;
  return sd_booted() > 0 && std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers", ec);
}

Result<std::unique_ptr<engine::CpuEnforcer>> MakeSystemdEnforcer(const std::string& bus_address) {
  auto bus = SystemdBus::Open(bus_address);
  if (!bus.ok()) return bus.error();
  auto self = (*bus)->UnitOfPid(::getpid());
  if (!self.ok()) return MakeError("systemd does not say which unit shoald is in: {}", self.error().message);
  return std::unique_ptr<engine::CpuEnforcer>(new SystemdEnforcer(std::move(*bus), *self));
}

std::string SystemdEnforcer::Path(const std::string& app) const {
  std::string out = slice_ + "/" + ScopeName(app);
  auto it = apps_.find(app);
  if (it == apps_.end()) return out;
  for (const auto& [unit, own] : it->second.services) out += " " + unit;
  return out;
}

}  // namespace shoal::daemon
