// The CPU enforcer on the real kernel (cgroup v1 here; v2 where the
// machine has its cpu controller) with processes the test starts, in
// uniquely named groups removed even when a check fails; the v2 file
// formats against a tree laid out like cgroupfs; nice.
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "daemon/cpu_enforcer.h"
#include "daemon/sys_file.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::daemon;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string UniqueParent() {
  static int n = 0;
  return "shoal-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// Releases the enforcer's groups when the test ends, pass or fail (after
// the processes in them are ended: declare it before them).
struct Released {
  std::unique_ptr<CpuEnforcer> e;
  ~Released() {
    if (e) (void)e->Release();
  }
};

bool V1Available() { return fs::exists("/sys/fs/cgroup/cpu/cpu.shares") && ::geteuid() == 0; }

uint64_t Usage(const CpuEnforcer& e, const std::string& app) {
  auto u = e.UsageNs(app);
  REQUIRE(u.has_value());
  return *u;
}

// Fractions of one CPU the groups used over `d`, by the kernel's accounting.
std::vector<double> Shares(const CpuEnforcer& e, const std::vector<std::string>& apps, std::chrono::milliseconds d) {
  std::vector<uint64_t> before;
  for (const auto& a : apps) before.push_back(Usage(e, a));
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(d);
  const double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - t0)
                                            .count());
  std::vector<double> out;
  for (size_t i = 0; i < apps.size(); ++i) out.push_back(static_cast<double>(Usage(e, apps[i]) - before[i]) / ns);
  return out;
}

std::string CgroupOf(pid_t pid, const std::string& controller) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (line.substr(a + 1, b - a - 1) == controller) return line.substr(b + 1);
  }
  return "?";
}

}  // namespace

TEST_CASE("nice values follow weights, 1.25x per step") {
  REQUIRE(NiceForWeight(100) == 0);
  REQUIRE(NiceForWeight(10000) == -20);
  REQUIRE(NiceForWeight(1) == 19);
  REQUIRE(NiceForWeight(400) == -6);
  REQUIRE(NiceForWeight(25) == 6);
}

TEST_CASE("the nice mechanism renices every thread and gives nice 0 back") {
  EnforcerOptions o;
  o.kind = "nice";
  auto e = MakeCpuEnforcer(o);
  REQUIRE(e.ok());
  REQUIRE(std::string((*e)->kind()) == "nice");
  testing::Child spinner = testing::SpinOnCpu(0);
  REQUIRE((*e)->Apply("bronze", CpuSetting{25, std::nullopt, 100'000}).ok());
  REQUIRE((*e)->Move("bronze", spinner.pid).ok());
  REQUIRE(::getpriority(PRIO_PROCESS, static_cast<id_t>(spinner.pid)) == 6);
  REQUIRE((*e)->Pids("bronze") == std::vector<int>{spinner.pid});
  REQUIRE((*e)->Remove("bronze").ok());
  REQUIRE(::getpriority(PRIO_PROCESS, static_cast<id_t>(spinner.pid)) == 0);
}

TEST_CASE("cgroup v2 writes cpu.weight and cpu.max and enables the cpu controller down to its groups") {
  testing::TempDir root;
  // Laid out as cgroupfs would have it after the mkdirs.
  const std::string parent = "pool/shoal";
  for (const auto& dir : {std::string("."), std::string("pool"), parent, parent + "/app-gold"}) {
    fs::create_directories(root.path / dir);
    for (const char* f : {"cgroup.subtree_control", "cgroup.procs", "cpu.max", "cpu.weight"}) root.Write(dir + "/" + f, "");
  }
  root.Write("cgroup.controllers", "cpuset cpu io memory\n");
  root.Write(parent + "/app-gold/cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
  EnforcerOptions o;
  o.kind = "cgroup-v2";
  o.v2_root = root.path.string();
  o.parent = parent;
  o.capacity_millicores = 1500;
  auto e = MakeCpuEnforcer(o);
  INFO((e.ok() ? "" : e.error().message));
  REQUIRE(e.ok());
  auto text = [&](const std::string& f) { return *ReadSmallFile((root.path / f).string()); };
  REQUIRE(text("cgroup.subtree_control") == "+cpu");
  REQUIRE(text(parent + "/cgroup.subtree_control") == "+cpu");
  REQUIRE(text(parent + "/cpu.max") == "150000 100000");
  REQUIRE((*e)->Apply("gold", CpuSetting{7500, std::nullopt, 100'000}).ok());
  REQUIRE(text(parent + "/app-gold/cpu.weight") == "7500");
  REQUIRE(text(parent + "/app-gold/cpu.max") == "max 100000");
  REQUIRE((*e)->Apply("gold", CpuSetting{2500, 20'000, 100'000}).ok());
  REQUIRE(text(parent + "/app-gold/cpu.max") == "20000 100000");
  REQUIRE((*e)->UsageNs("gold") == std::optional<uint64_t>(1'500'000));
  REQUIRE((*e)->Groups() == std::vector<std::string>{"gold"});
}

TEST_CASE("an explicit mechanism that is missing is an error naming it") {
  testing::TempDir root;
  root.Write("cgroup.controllers", "memory io\n");
  EnforcerOptions o;
  o.kind = "cgroup-v2";
  o.v2_root = root.path.string();
  auto e = MakeCpuEnforcer(o);
  REQUIRE_FALSE(e.ok());
  REQUIRE_THAT(e.error().message, Catch::Contains("cpu controller is not available") &&
                                      Catch::Contains("memory io"));
  o.kind = "cgroup-v1";
  o.v1_cpu = root.path.string();
  REQUIRE_THAT(MakeCpuEnforcer(o).error().message, Catch::Contains("no cpu.shares in"));
  o.kind = "cgroups";
  REQUIRE_THAT(MakeCpuEnforcer(o).error().message, Catch::Contains("unknown CPU enforcer \"cgroups\""));
  o.kind = "nice";
  o.parent = "../escape";
  REQUIRE_THAT(MakeCpuEnforcer(o).error().message, Catch::Contains("without \"..\""));
}

TEST_CASE("cgroup v1 on the real kernel: 75/25 weights on one CPU, a cap, bursting into idle room, hand-back", "[kernel]") {
  if (!V1Available()) {
    WARN("cgroup v1 cpu hierarchy not writable here; the real-kernel enforcer test did not run");
    return;
  }
  EnforcerOptions o;
  o.kind = "cgroup-v1";
  o.parent = UniqueParent();
  Released r;
  {
    auto e = MakeCpuEnforcer(o);
    INFO((e.ok() ? "" : e.error().message));
    REQUIRE(e.ok());
    r.e = std::move(*e);
  }
  CpuEnforcer& e = *r.e;
  testing::Child gold = testing::SpinOnCpu(0), bronze = testing::SpinOnCpu(0);
  REQUIRE(e.Apply("gold", CpuSetting{7500, std::nullopt, 100'000}).ok());
  REQUIRE(e.Apply("bronze", CpuSetting{2500, std::nullopt, 100'000}).ok());
  REQUIRE(e.Move("gold", gold.pid).ok());
  REQUIRE(e.Move("bronze", bronze.pid).ok());
  REQUIRE(e.Pids("gold") == std::vector<int>{gold.pid});
  REQUIRE(CgroupOf(gold.pid, "cpuacct") == "/" + o.parent + "/app-gold");
  REQUIRE(e.Groups() == std::vector<std::string>{"bronze", "gold"});

  std::this_thread::sleep_for(200ms);
  auto s = Shares(e, {"gold", "bronze"}, 3000ms);
  const double gold_share = s[0] / (s[0] + s[1]);
  INFO("gold " << s[0] << " bronze " << s[1]);
  REQUIRE(gold_share == Approx(0.75).margin(0.03));

  // An idle neighbour leaves its room to the other.
  ::kill(gold.pid, SIGSTOP);
  s = Shares(e, {"gold", "bronze"}, 1000ms);
  INFO("gold stopped: bronze " << s[1]);
  REQUIRE(s[1] > 0.9);

  // A cap holds: 20 ms of every 100 ms.
  REQUIRE(e.Apply("bronze", CpuSetting{2500, 20'000, 100'000}).ok());
  s = Shares(e, {"gold", "bronze"}, 2000ms);
  INFO("bronze capped: " << s[1]);
  REQUIRE(s[1] == Approx(0.20).margin(0.02));
  ::kill(gold.pid, SIGCONT);

  // Removing a group hands its process back to the root.
  REQUIRE(e.Remove("gold").ok());
  REQUIRE(CgroupOf(gold.pid, "cpu") == "/");
  REQUIRE_FALSE(fs::exists("/sys/fs/cgroup/cpu/" + o.parent + "/app-gold"));
  REQUIRE(e.Release().ok());
  REQUIRE(CgroupOf(bronze.pid, "cpuacct") == "/");
  REQUIRE_FALSE(fs::exists("/sys/fs/cgroup/cpu/" + o.parent));
  REQUIRE_FALSE(fs::exists("/sys/fs/cgroup/cpuacct/" + o.parent));
}
