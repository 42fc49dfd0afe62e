// The sampler on the real /proc with processes the test starts: detection
// into applications, usage and demand from the scheduler's statistics.
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
