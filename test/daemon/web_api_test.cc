// The web API's requests (daemon/web_api.h): each /api/ path becomes the
// control request it names; bad names and numbers are refused, saying
// which and why.
#include <catch2/catch.hpp>

#include "daemon/web_api.h"

using shoal::daemon::ParseWebRequest;

namespace {
constexpr int64_t kNow = 1'796'000'000'000;
}

TEST_CASE("web API: each path is the control request it names, bad input refused with why") {
  auto app = ParseWebRequest("/api/app", "name=gold", kNow);
  REQUIRE(app.ok());
  CHECK(app->app().name() == "gold");
  auto no_name = ParseWebRequest("/api/app", "", kNow);
  REQUIRE_FALSE(no_name.ok());
  CHECK(no_name.error().message == "/api/app wants name=APPLICATION");
  auto bad_name = ParseWebRequest("/api/app", "name=go;ld", kNow);
  REQUIRE_FALSE(bad_name.ok());
  CHECK(bad_name.error().message.find("name=go;ld holds a character") == 0);

  CHECK(ParseWebRequest("/api/nodes", "", kNow)->has_nodes());
  CHECK(ParseWebRequest("/api/status", "", kNow)->has_status());
  auto events = ParseWebRequest("/api/events", "since=60&limit=5", kNow);
  REQUIRE(events.ok());
  CHECK(events->events().after_ms() == kNow - 60'000);
  CHECK(events->events().limit() == 5);
  auto limit = ParseWebRequest("/api/events", "limit=5000", kNow);
  REQUIRE_FALSE(limit.ok());
  CHECK(limit.error().message == "limit=5000 is not a number in 1..1000");
  auto unknown = ParseWebRequest("/api/bogus", "", kNow);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "no /api/bogus: status, nodes, apps, app, pipes, policy, events, history");
}
