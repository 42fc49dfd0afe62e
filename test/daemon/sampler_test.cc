// The sampler on the real /proc with processes the test starts: detection
// into applications, usage and demand from the scheduler's statistics.
#include <algorithm>
#include <thread>

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "daemon/sampler.h"
#include "policy/parser.h"
#include "test/support/process.h"

using namespace shoal;
using namespace shoal::daemon;
using namespace std::chrono_literals;

TEST_CASE("sampler: two spinners sharing one CPU each use half and want a whole one, and a light one wants little", "[kernel]") {
  const std::string tag = "sampler-" + std::to_string(::getpid());
  auto doc = policy::ParsePolicy(fmt::format(R"(<shoal-policy version="1">
    <application name="a"><process cmdline="*shoal-demo-burn {0}-a*"/></application>
    <application name="b"><process cmdline="*shoal-demo-burn {0}-b*"/></application>
    <application name="light"><process cmdline="*shoal-demo-burn {0}-light*"/></application>
  </shoal-policy>)", tag));
  REQUIRE(doc.ok());
  testing::Child a = testing::Spawn({SHOAL_BURN_BINARY, tag + "-a", "--cpu", "0"});
  testing::Child b = testing::Spawn({SHOAL_BURN_BINARY, tag + "-b", "--cpu", "0"});
  testing::Child light = testing::Spawn({SHOAL_BURN_BINARY, tag + "-light", "--cpu", "1", "--duty", "10"});
  std::this_thread::sleep_for(200ms);  // exec'd and spinning

  SteadyClock clock;
  Sampler sampler("/proc", policy::IdResolver::System());
  sampler.SetDocument(doc.document);
  auto first = sampler.Sample(clock.Now(), true);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 3);
  for (const auto& s : *first) REQUIRE(s.demand_m == 0);  // nothing to compare with yet
  std::this_thread::sleep_for(1500ms);
  auto second = sampler.Sample(clock.Now(), false);
  REQUIRE(second.ok());
  REQUIRE(second->size() == 3);
  const auto& sa = (*second)[0];
  const auto& sb = (*second)[1];
  const auto& sl = (*second)[2];
  REQUIRE(sa.app == "a");
  REQUIRE(sa.pids == std::vector<int>{a.pid});
  REQUIRE(sl.app == "light");
  INFO("a " << sa.usage_m << "/" << sa.demand_m << " b " << sb.usage_m << "/" << sb.demand_m << " light " << sl.usage_m
            << "/" << sl.demand_m);
  // One CPU between them (less whatever else runs there).
  REQUIRE(sa.usage_m + sb.usage_m < 1050);
  REQUIRE(sa.usage_m > 200);
  REQUIRE(sa.usage_m < 700);
  // Each would use the whole CPU.
  REQUIRE(sa.demand_m == Approx(1000).margin(100));
  REQUIRE(sb.demand_m == Approx(1000).margin(100));
  // 10% duty on a CPU of its own.
  REQUIRE(sl.usage_m == Approx(100).margin(50));
  REQUIRE(sl.demand_m < 400);
  REQUIRE(sa.rss_kb > 0);

  // An application whose processes are gone drops out.
  a.Kill();
  auto third = sampler.Sample(clock.Now(), true);
  REQUIRE(third.ok());
  REQUIRE(third->size() == 2);
  REQUIRE((*third)[0].app == "b");
}

TEST_CASE("sampler: a flow rule pulls in the process holding its port, and an application's processes bring their ports") {
  // Two listeners on loopback; owners are looked for only among what matters.
  const std::string tag = "sampler-owner-" + std::to_string(::getpid());
  const std::string listen =
      "import socket, sys, time\n"
      "s = socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "s.listen()\n"
      "time.sleep(60)\n";
  const uint16_t pulled_port = testing::FreePort();
  uint16_t own_port = testing::FreePort();
  while (own_port == pulled_port) own_port = testing::FreePort();
  testing::Child pulled = testing::Spawn({"/usr/bin/python3", "-c", listen, std::to_string(pulled_port), tag + "-pulled"});
  testing::Child own = testing::Spawn({"/usr/bin/python3", "-c", listen, std::to_string(own_port), tag + "-own"});
  auto doc = policy::ParsePolicy(fmt::format(R"(<shoal-policy version="1">
    <application name="web"><flow port="{0}" protocol="tcp"/></application>
    <application name="own"><process cmdline="*{1}-own*"/><flow port="1" protocol="udp"/></application>
  </shoal-policy>)", pulled_port, tag));
  REQUIRE(doc.ok());

  SteadyClock clock;
  Sampler sampler("/proc", policy::IdResolver::System());
  sampler.SetDocument(doc.document);
  const engine::LocalPort pulled_tcp{policy::Protocol::kTcp, pulled_port}, own_tcp{policy::Protocol::kTcp, own_port};
  auto has = [](const std::vector<engine::LocalPort>& ports, const engine::LocalPort& p) {
    return std::find(ports.begin(), ports.end(), p) != ports.end();
  };
  std::vector<LocalInstance> found;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until both listen
    auto s = sampler.Sample(clock.Now(), true);
    REQUIRE(s.ok());
    found = *s;
    if (found.size() == 2 && has(found[0].ports, pulled_tcp) && has(found[1].ports, own_tcp)) break;
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(found.size() == 2);
  CHECK(found[0].app == "web");
  CHECK(found[0].pids == std::vector<int>{pulled.pid});
  CHECK(found[0].ports == std::vector<engine::LocalPort>{pulled_tcp});
  CHECK(found[1].app == "own");
  CHECK(found[1].pids == std::vector<int>{own.pid});
  CHECK(found[1].ports == std::vector<engine::LocalPort>{own_tcp});
  // An incremental scan keeps them.
  auto next = sampler.Sample(clock.Now(), false);
  REQUIRE(next.ok());
  REQUIRE(next->size() == 2);
  CHECK((*next)[1].ports == std::vector<engine::LocalPort>{own_tcp});
}
