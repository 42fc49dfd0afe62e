#include "daemon/cpu_enforcer.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "daemon/sys_file.h"

namespace shoal::daemon {
namespace fs = std::filesystem;

namespace {

// The process has exited (a scan saw it a moment ago).
bool Gone(int pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

constexpr const char* kPrefix = "app-";

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return MakeError("cannot create cgroup {}: {}", path, std::strerror(errno));
}

std::vector<int> ReadPids(const std::string& path) {
  std::vector<int> pids;
  auto text = ReadSmallFile(path);
  if (!text.ok()) return pids;
  std::istringstream in(*text);
  int pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

std::vector<std::string> ListGroups(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory(ec) && name.starts_with(kPrefix)) out.push_back(name.substr(std::strlen(kPrefix)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A group's processes go to `to`; then the group is removed. A process
// forked meanwhile keeps rmdir busy, so this tries a few times.
Status EmptyAndRemove(const std::string& dir, const std::string& to) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    for (int pid : ReadPids(dir + "/cgroup.procs")) {
      // A process that exited meanwhile (ESRCH) is fine.
      (void)WriteControl(to + "/cgroup.procs", std::to_string(pid));
    }
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Status::Ok();
    if (errno != EBUSY) break;
  }
  return MakeError("cannot remove cgroup {}: {}", dir, std::strerror(errno));
}

int64_t QuotaFromMillicores(int64_t millicores, int64_t period_us) {
  return std::max<int64_t>(1000, millicores * period_us / 1000);
}

// Both cgroup versions: one directory per hierarchy the mechanism uses (v1:
// cpu and cpuacct, or one if they are mounted together; v2: the unified
// tree), PARENT and the groups below each.
class CgroupEnforcer final : public CpuEnforcer {
 public:
  CgroupEnforcer(int version, std::vector<std::string> roots, const EnforcerOptions& options)
      : version_(version), roots_(std::move(roots)), options_(options) {}

  const char* kind() const override { return version_ == 2 ? "cgroup-v2" : "cgroup-v1"; }

  Status Prepare() {
    for (const auto& root : roots_) {
      if (version_ == 2) {
        // The cpu controller must be enabled from the root down to PARENT's children.
        std::string dir = root;
        for (const auto& part : fs::path(options_.parent)) {
          if (auto s = WriteControl(dir + "/cgroup.subtree_control", "+cpu"); !s.ok()) return s;
          dir += "/" + part.string();
          if (auto s = MakeDir(dir); !s.ok()) return s;
        }
        if (auto s = WriteControl(dir + "/cgroup.subtree_control", "+cpu"); !s.ok()) return s;
      } else {
        std::error_code ec;
        fs::create_directories(root + "/" + options_.parent, ec);
        if (ec) return MakeError("cannot create cgroup {}/{}: {}", root, options_.parent, ec.message());
      }
    }
    const std::string cpu = roots_[0] + "/" + options_.parent;
    if (options_.capacity_millicores) {
      parent_quota_ = QuotaFromMillicores(*options_.capacity_millicores, kParentPeriod);
    }
    Status s;
    if (version_ == 2) {
      s = WriteControl(cpu + "/cpu.max", parent_quota_ ? fmt::format("{} {}", *parent_quota_, kParentPeriod)
                                                       : fmt::format("max {}", kParentPeriod));
    } else {
      s = WriteControl(cpu + "/cpu.cfs_period_us", std::to_string(kParentPeriod));
      if (s.ok()) s = WriteControl(cpu + "/cpu.cfs_quota_us", parent_quota_ ? std::to_string(*parent_quota_) : "-1");
    }
    prepared_ = s.ok();
    return s;
  }

  std::vector<std::string> Groups() const override { return ListGroups(roots_[0] + "/" + options_.parent); }

  Status Apply(const std::string& app, const CpuSetting& setting) override {
    if (!prepared_) {
      if (auto s = Prepare(); !s.ok()) return s;
    }
    for (const auto& root : roots_) {
      if (auto s = MakeDir(Dir(root, app)); !s.ok()) return s;
    }
    auto& last = applied_[app];
    if (last == setting) return Status::Ok();
    const std::string dir = Dir(roots_[0], app);
    std::optional<int64_t> quota = setting.quota_us;
    if (quota && parent_quota_) {
      // v1 refuses a child quota above its parent's (per unit of period).
      quota = std::min<int64_t>(*quota, *parent_quota_ * setting.period_us / kParentPeriod);
    }
    Status s;
    if (version_ == 2) {
      s = WriteControl(dir + "/cpu.weight", std::to_string(std::clamp<uint32_t>(setting.weight, 1, 10000)));
      if (s.ok()) {
        s = WriteControl(dir + "/cpu.max", quota ? fmt::format("{} {}", *quota, setting.period_us)
                                                 : fmt::format("max {}", setting.period_us));
      }
    } else {
      // cpu.shares: 1024 is the default as weight 100 is in v2.
      const uint64_t shares = std::clamp<uint64_t>(uint64_t{setting.weight} * 1024 / 100, 2, 262144);
      s = WriteControl(dir + "/cpu.shares", std::to_string(shares));
      // The quota goes first when lifting it: a period change must not
      // leave the old quota above what the new period allows.
      if (s.ok()) s = WriteControl(dir + "/cpu.cfs_quota_us", "-1");
      if (s.ok()) s = WriteControl(dir + "/cpu.cfs_period_us", std::to_string(setting.period_us));
      if (s.ok() && quota) s = WriteControl(dir + "/cpu.cfs_quota_us", std::to_string(*quota));
    }
    if (s.ok()) {
      last = setting;
    } else {
      applied_.erase(app);  // rewrite everything next time
    }
    return s;
  }

  Status Move(const std::string& app, int pid) override {
    for (const auto& root : roots_) {
      if (auto s = WriteControl(Dir(root, app) + "/cgroup.procs", std::to_string(pid)); !s.ok()) {
        return Gone(pid) ? Status::Ok() : s;
      }
    }
    return Status::Ok();
  }

  std::vector<int> Pids(const std::string& app) const override {
    return ReadPids(Dir(roots_[0], app) + "/cgroup.procs");
  }

  std::optional<uint64_t> UsageNs(const std::string& app) const override {
    if (version_ == 2) {
      auto text = ReadSmallFile(Dir(roots_[0], app) + "/cpu.stat");
      if (!text.ok()) return std::nullopt;
      std::istringstream in(*text);
      std::string key;
      uint64_t value = 0;
      while (in >> key >> value) {
        if (key == "usage_usec") return value * 1000;
      }
      return std::nullopt;
    }
    auto text = ReadSmallFile(Dir(roots_.back(), app) + "/cpuacct.usage");
    if (!text.ok()) return std::nullopt;
    return std::strtoull(text->c_str(), nullptr, 10);
  }

  Status Remove(const std::string& app) override {
    applied_.erase(app);
    Status first;
    for (const auto& root : roots_) {
      auto s = EmptyAndRemove(Dir(root, app), Above(root));
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }

  Status Release() override {
    Status first;
    for (const auto& app : Groups()) {
      auto s = Remove(app);
      if (!s.ok() && first.ok()) first = s;
    }
    for (const auto& root : roots_) {
      auto s = EmptyAndRemove(root + "/" + options_.parent, Above(root));
      if (!s.ok() && first.ok()) first = s;
    }
    prepared_ = false;
    return first;
  }

  std::string Path(const std::string& app) const override { return Dir(roots_[0], app); }

 private:
  static constexpr int64_t kParentPeriod = 100'000;

  std::string Dir(const std::string& root, const std::string& app) const {
    return root + "/" + options_.parent + "/" + kPrefix + app;
  }
  // Where handed-back processes go: the cgroup above PARENT.
  std::string Above(const std::string& root) const {
    const fs::path up = fs::path(options_.parent).parent_path();
    return up.empty() ? root : root + "/" + up.string();
  }

  int version_;
  std::vector<std::string> roots_;  // v1: cpu first, cpuacct last
  EnforcerOptions options_;
  std::optional<int64_t> parent_quota_;  // per kParentPeriod
  bool prepared_ = false;  // PARENT exists with its settings
  std::map<std::string, CpuSetting> applied_;
};

class NiceEnforcer final : public CpuEnforcer {
 public:
  explicit NiceEnforcer(std::string proc) : proc_(std::move(proc)) {}
  const char* kind() const override { return "nice"; }
  std::vector<std::string> Groups() const override {
    std::vector<std::string> out;
    for (const auto& [app, g] : groups_) out.push_back(app);
    return out;
  }
  Status Apply(const std::string& app, const CpuSetting& setting) override {
    Group& g = groups_[app];
    const int nice = NiceForWeight(setting.weight);
    if (g.nice == nice) return Status::Ok();
    g.nice = nice;
    for (int pid : Alive(g)) SetNice(pid, nice);
    return Status::Ok();
  }
  Status Move(const std::string& app, int pid) override {
    Group& g = groups_[app];
    g.pids.insert(pid);
    if (!SetNice(pid, g.nice)) {
      if (Gone(pid)) return Status::Ok();
      return MakeError("cannot renice process {} to {}: {}", pid, g.nice, std::strerror(errno));
    }
    return Status::Ok();
  }
  std::vector<int> Pids(const std::string& app) const override {
    auto it = groups_.find(app);
    if (it == groups_.end()) return {};
    std::vector<int> out;
    for (int pid : it->second.pids) {
      if (fs::exists(proc_ + "/" + std::to_string(pid))) out.push_back(pid);
    }
    return out;
  }
  std::optional<uint64_t> UsageNs(const std::string&) const override { return std::nullopt; }
  Status Remove(const std::string& app) override {
    auto it = groups_.find(app);
    if (it == groups_.end()) return Status::Ok();
    for (int pid : Alive(it->second)) SetNice(pid, 0);
    groups_.erase(it);
    return Status::Ok();
  }
  Status Release() override {
    while (!groups_.empty()) (void)Remove(groups_.begin()->first);
    return Status::Ok();
  }
  std::string Path(const std::string&) const override { return ""; }

 private:
  struct Group {
    int nice = 0;
    std::set<int> pids;
  };
  std::vector<int> Alive(Group& g) {
    std::vector<int> alive;
    for (auto it = g.pids.begin(); it != g.pids.end();) {
      if (fs::exists(proc_ + "/" + std::to_string(*it))) {
        alive.push_back(*it++);
      } else {
        it = g.pids.erase(it);
      }
    }
    return alive;
  }
  // Every thread of the process (nice is per thread on Linux).
  bool SetNice(int pid, int nice) {
    bool any = false;
    std::error_code ec;
    for (const auto& t : fs::directory_iterator(proc_ + "/" + std::to_string(pid) + "/task", ec)) {
      const int tid = std::atoi(t.path().filename().c_str());
      if (tid > 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) == 0) any = true;
    }
    return any;
  }

  std::string proc_;
  std::map<std::string, Group> groups_;
};

bool Contains(const std::string& list, std::string_view word) {
  std::istringstream in(list);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

std::string DefaultV2Root() {
  return fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
}

Result<std::unique_ptr<CpuEnforcer>> TryV2(const EnforcerOptions& o) {
  const std::string root = o.v2_root.empty() ? DefaultV2Root() : o.v2_root;
  auto controllers = ReadSmallFile(root + "/cgroup.controllers");
  if (!controllers.ok()) return MakeError("cgroup v2: {}", controllers.error().message);
  if (!Contains(*controllers, "cpu")) {
    std::string list = *controllers;
    while (!list.empty() && std::isspace(static_cast<unsigned char>(list.back()))) list.pop_back();
    return MakeError("cgroup v2: the cpu controller is not available at {} (it has: {})", root,
                     list.empty() ? "none" : list);
  }
  auto e = std::make_unique<CgroupEnforcer>(2, std::vector<std::string>{root}, o);
  if (auto s = e->Prepare(); !s.ok()) return MakeError("cgroup v2: {}", s.error().message);
  return std::unique_ptr<CpuEnforcer>(std::move(e));
}

Result<std::unique_ptr<CpuEnforcer>> TryV1(const EnforcerOptions& o) {
  for (const auto& [dir, file] : {std::pair{o.v1_cpu, "cpu.shares"}, std::pair{o.v1_cpuacct, "cpuacct.usage"}}) {
    if (!fs::exists(dir + "/" + file)) return MakeError("cgroup v1: no {} in {}", file, dir);
  }
  std::vector<std::string> roots{o.v1_cpu};
  std::error_code ec1, ec2;
  if (fs::canonical(o.v1_cpu, ec1) != fs::canonical(o.v1_cpuacct, ec2)) roots.push_back(o.v1_cpuacct);
  auto e = std::make_unique<CgroupEnforcer>(1, std::move(roots), o);
  if (auto s = e->Prepare(); !s.ok()) return MakeError("cgroup v1: {}", s.error().message);
  return std::unique_ptr<CpuEnforcer>(std::move(e));
}

}  // namespace

int NiceForWeight(uint32_t weight) {
  const double w = std::clamp<double>(weight, 1, 10000);
  return std::clamp(static_cast<int>(std::lround(std::log(100.0 / w) / std::log(1.25))), -20, 19);
}

Result<std::unique_ptr<CpuEnforcer>> MakeCpuEnforcer(const EnforcerOptions& options) {
  if (options.parent.empty() || options.parent.front() == '/' || options.parent.find("..") != std::string::npos) {
    return MakeError("cgroup parent \"{}\" must be a relative path without \"..\"", options.parent);
  }
  if (options.kind == "cgroup-v2") return TryV2(options);
  if (options.kind == "cgroup-v1") return TryV1(options);
  if (options.kind == "nice") return std::unique_ptr<CpuEnforcer>(std::make_unique<NiceEnforcer>(options.proc));
  if (options.kind != "auto") {
    return MakeError("unknown CPU enforcer \"{}\" (use auto, cgroup-v2, cgroup-v1 or nice)", options.kind);
  }
  auto v2 = TryV2(options);
  if (v2.ok()) return v2;
  spdlog::info("CPU enforcer: not using {}", v2.error().message);
  auto v1 = TryV1(options);
  if (v1.ok()) return v1;
  spdlog::warn("CPU enforcer: not using {}; falling back to nice (no caps)", v1.error().message);
  return std::unique_ptr<CpuEnforcer>(std::make_unique<NiceEnforcer>(options.proc));
}

}  // namespace shoal::daemon
