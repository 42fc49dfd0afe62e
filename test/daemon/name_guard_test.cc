// Two daemons with one node name: who gives way, and how loudly.
#include <catch2/catch.hpp>

#include "daemon/name_guard.h"

using namespace shoal;
using namespace std::chrono_literals;
using daemon::NameGuard;

namespace {
gossip::Gossiper::NameConflict From(uint64_t boot) { return {boot, Endpoint{0x7f000001, 7000}}; }
}  // namespace

TEST_CASE("Name guard: the newcomer stops, the older daemon reports, a lone stale packet is nothing") {
  const TimePoint start{};
  SECTION("the newcomer meets an older daemon within its grace period") {
    NameGuard g("web-1", 200, start);
    REQUIRE(g.OnConflict(From(100), start + 2s) == NameGuard::Verdict::kQuiet);  // one sighting
    REQUIRE(g.OnConflict(From(100), start + 3500ms) == NameGuard::Verdict::kStop);
    REQUIRE_THAT(g.message(), Catch::Contains("127.0.0.1:7000") && Catch::Contains("'web-1'") &&
                                  Catch::Contains("another node_name"));
  }
  SECTION("the older daemon meets a newer boot: it keeps running and reports, at most every 30 s") {
    NameGuard g("web-1", 100, start);
    REQUIRE(g.OnConflict(From(200), start + 2s) == NameGuard::Verdict::kQuiet);
    REQUIRE(g.OnConflict(From(200), start + 3500ms) == NameGuard::Verdict::kReport);
    REQUIRE(g.OnConflict(From(200), start + 10s) == NameGuard::Verdict::kQuiet);
    REQUIRE(g.OnConflict(From(200), start + 34s) == NameGuard::Verdict::kReport);
    REQUIRE_THAT(g.message(), Catch::Contains("also runs as node 'web-1'"));
  }
  SECTION("past the grace period nobody stops: the pair is reported") {
    NameGuard g("web-1", 200, start);
    REQUIRE(g.OnConflict(From(100), start + 60s) == NameGuard::Verdict::kQuiet);
    REQUIRE(g.OnConflict(From(100), start + 62s) == NameGuard::Verdict::kReport);
  }
  SECTION("packets of a previous life within a second of each other are no conflict") {
    NameGuard g("web-1", 200, start);
    for (int i = 0; i < 5; ++i) REQUIRE(g.OnConflict(From(199), start + std::chrono::milliseconds(100 * i)) == NameGuard::Verdict::kQuiet);
  }
}
