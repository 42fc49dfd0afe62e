// The systemd CPU enforcer against systemd's D-Bus API, served by a fake
// on a real private bus (test/support/fake_systemd.h): systemd itself
// does not run on these machines (PID 1 is not systemd), so the exact
// calls are what is checked. The processes are real children of the test.
#include <catch2/catch.hpp>

#include "daemon/systemd_bus.h"
#include "daemon/systemd_enforcer.h"
#include "test/support/fake_systemd.h"

using namespace shoal;
using namespace shoal::daemon;
using shoal::testing::Child;
using shoal::testing::FakeSystemd;
using shoal::testing::Spawn;

namespace {

Child Sleeper() { return Spawn({"/bin/sleep", "60"}); }

std::unique_ptr<SystemdEnforcer> Enforcer(FakeSystemd& fake) {
  auto bus = SystemdBus::Open(fake.address());
  REQUIRE(bus.ok());
  return std::make_unique<SystemdEnforcer>(std::move(*bus), "shoald.service");
}

}  // namespace

TEST_CASE("systemd enforcer: a service's processes stay in their unit, which gets the settings and gets its own back") {
  FakeSystemd fake;
  Child web = Sleeper();
  fake.AddUnit("web.service", {web.pid}, 50);
  auto e = Enforcer(fake);
  REQUIRE(e->Apply("web", engine::CpuSetting{300, 50'000, 100'000}).ok());
  CHECK(fake.calls().empty());  // nothing of web's is known yet
  REQUIRE(e->Move("web", web.pid).ok());
  CHECK(fake.calls() == std::vector<std::string>{
                            "SetUnitProperties web.service runtime CPUWeight=300 CPUQuotaPerSecUSec=500000"});
  CHECK(fake.unit("web.service").pids == std::set<int>{web.pid});  // not moved
  CHECK(e->Pids("web") == std::vector<int>{web.pid});
  fake.SetUsage("web.service", 123'000'000);
  CHECK(e->UsageNs("web") == 123'000'000u);
  fake.ClearCalls();
  REQUIRE(e->Move("web", web.pid).ok());  // known: no call
  REQUIRE(e->Apply("web", engine::CpuSetting{200, std::nullopt, 100'000}).ok());
  CHECK(fake.calls() == std::vector<std::string>{
                            "SetUnitProperties web.service runtime CPUWeight=200 CPUQuotaPerSecUSec=inf"});
  fake.ClearCalls();
  REQUIRE(e->Remove("web").ok());
  CHECK(fake.calls() == std::vector<std::string>{
                            "SetUnitProperties web.service runtime CPUWeight=50 CPUQuotaPerSecUSec=inf"});
  CHECK(fake.unit("web.service").weight == 50);
}

TEST_CASE("systemd enforcer: processes outside services go to the application's scope, and back where they came from") {
  FakeSystemd fake;
  Child a = Sleeper(), b = Sleeper();
  fake.AddUnit("session-4.scope", {a.pid, b.pid});
  auto e = Enforcer(fake);
  REQUIRE(e->Apply("batch", engine::CpuSetting{80, std::nullopt, 100'000}).ok());
  REQUIRE(e->Move("batch", a.pid).ok());
  REQUIRE(e->Move("batch", b.pid).ok());
  const auto calls = fake.calls();
  REQUIRE(calls.size() >= 2);
  CHECK(calls[0] == fmt::format("StartTransientUnit shoal-app-batch.scope fail Description=Shoal: an application's "
                                "processes Slice=shoal.slice PID={} CPUWeight=80 CPUQuotaPerSecUSec=inf",
                                a.pid));
  CHECK(calls.back() == fmt::format("AttachProcessesToUnit shoal-app-batch.scope / {}", b.pid));
  CHECK(fake.unit("shoal-app-batch.scope").pids == std::set<int>{a.pid, b.pid});
  CHECK(fake.unit("session-4.scope").pids.empty());
  auto pids = e->Pids("batch");
  std::sort(pids.begin(), pids.end());
  CHECK(pids == std::vector<int>{std::min(a.pid, b.pid), std::max(a.pid, b.pid)});
  CHECK(e->Path("batch") == "shoal.slice/shoal-app-batch.scope");

  fake.ClearCalls();
  REQUIRE(e->Remove("batch").ok());
  const auto back = fake.calls();
  REQUIRE(back.size() == 3);
  CHECK_THAT(back[0], Catch::StartsWith("AttachProcessesToUnit session-4.scope / "));
  CHECK(back[1] == "SetUnitProperties shoal-app-batch.scope runtime CPUWeight=inf CPUQuotaPerSecUSec=inf");
  CHECK(back[2] == "AbandonScope shoal-app-batch.scope");
  CHECK(fake.unit("session-4.scope").pids == std::set<int>{a.pid, b.pid});
}

TEST_CASE("systemd enforcer: shoald's own unit is never touched, scopes of an earlier run are adopted, errors are named") {
  FakeSystemd fake;
  Child self = Sleeper(), gone = Sleeper();
  fake.AddUnit("shoald.service", {self.pid});
  fake.AddUnit("shoal-app-old\\x2dbatch.scope", {});
  auto e = Enforcer(fake);
  REQUIRE(e->Move("web", self.pid).ok());
  CHECK(fake.calls().empty());
  CHECK(e->Groups() == std::vector<std::string>{"old-batch"});
  CHECK(SystemdEnforcer::ScopeName("old-batch") == "shoal-app-old\\x2dbatch.scope");
  REQUIRE(e->Release().ok());
  CHECK(fake.unit("shoal-app-old\\x2dbatch.scope").abandoned);
  // A live process systemd knows nothing of: the error says so; one that
  // has exited is no error.
  auto s = e->Move("web", gone.pid);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("GetUnitByPID") && Catch::Contains("does not belong to any loaded unit"));
  gone.Kill();
  CHECK(e->Move("web", gone.pid).ok());
  CHECK_THAT(SystemdBus::Open("unix:path=/nonexistent/bus").error().message, Catch::Contains("cannot reach systemd"));
}
