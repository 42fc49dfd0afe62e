// shoald's event stream with real processes: pool-wide events raised once
// for the pool (not once per observer), local ones by the node they
// happened on, and `shoalctl events` answering alike from any node, with
// --follow printing new events as they come; a full disk under a node's
// state directory (a tmpfs the test mounts). Ends only what it started.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/pool.h"
#include "test/support/process.h"
#include "test/support/small_tmpfs.h"

using namespace shoal;
using shoal::testing::Output;
using shoal::testing::TestPool;

namespace {

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.starts_with("{")) out.push_back(nlohmann::json::parse(line));  // not stderr warnings
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

size_t Count(const std::vector<nlohmann::json>& events, const std::string& type, const std::string& subject) {
  size_t n = 0;
  for (const auto& e : events) n += e["type"] == type && e["subject"] == subject;
  return n;
}

// The subject of the first event of `type` ("" if none).
std::string FirstSubject(const std::vector<nlohmann::json>& events, const std::string& type) {
  for (const auto& e : events) {
    if (e["type"] == type) return e["subject"].get<std::string>();
  }
  return "";
}

// `shoalctl events --json` on node i until `done(events)`, at most 15 s.
template <typename Done>
std::vector<nlohmann::json> EventsUntil(const TestPool& pool, size_t i, Done done) {
  std::vector<nlohmann::json> events;
  pool.CtlUntil("events --json --limit 1000", i, [&](const Output& o) {
    if (o.status != 0) return false;
    events = Lines(o.text);
    return done(events);
  }, 150);
  return events;
}

}  // namespace

TEST_CASE("a pool-wide event is raised once for the pool, every node answers shoalctl events alike, and status says the pool is unhealthy") {
  TestPool pool;
  for (size_t i = 0; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("policy push " SHOAL_SOURCE_DIR "/examples/policies/small.xml", 0,
                        [](const Output& o) { return o.status == 0; })
              .status == 0);
  auto all = EventsUntil(pool, 2, [](const auto& ev) {
    size_t activated = 0;
    for (const auto& e : ev) activated += e["type"] == "policy.activated";
    return activated >= 1 && Count(ev, "node.joined", "node-2") >= 1;
  });
  INFO(nlohmann::json(all).dump(1));
  const std::string version = FirstSubject(all, "policy.pushed");
  REQUIRE(!version.empty());
  CHECK(Count(all, "policy.pushed", version) == 1);
  CHECK(Count(all, "policy.activated", version) == 1);  // three nodes activated it; one speaks
  for (const auto& e : all) {
    if (e["type"] == "policy.pushed") CHECK(e["node"] == "node-0");  // where it was pushed
    CHECK(e["time"].get<std::string>().ends_with("Z"));
    CHECK(e["time_ms"].is_number());
  }

  pool.node(1).process.Kill();
  auto after = EventsUntil(pool, 0, [](const auto& ev) { return Count(ev, "node.failed", "node-1") >= 1; });
  ::usleep(1'500'000);  // any second observer would have spoken by now
  after = EventsUntil(pool, 2, [](const auto&) { return true; });
  INFO(nlohmann::json(after).dump(1));
  CHECK(Count(after, "node.failed", "node-1") == 1);
  CHECK(Count(after, "node.suspected", "node-1") == 1);
  for (const auto& e : after) {
    if (e["type"] == "node.failed") CHECK(e["severity"] == "error");
  }
  // The text form: a header and one line per event.
  Output text = pool.Ctl("events --type node.failed", 0);
  CHECK(text.status == 0);
  CHECK_THAT(text.text, Catch::StartsWith("TIME") && Catch::Contains("node.failed") && Catch::Contains("node-1"));
  CHECK(pool.Ctl("events --since nonsense", 0).status == 1);

  // The failure makes `status` exit 3 (a probe's "unhealthy"), naming why.
  Output status = pool.Ctl("status", 2);
  CHECK(status.status == 3);
  CHECK_THAT(status.text, Catch::Contains("shoalctl: unhealthy: 1 node(s) failed"));
  Output failed = pool.Ctl("nodes --status failed", 2);
  CHECK(failed.status == 0);
  CHECK_THAT(failed.text, Catch::Contains("node-1") && !Catch::Contains("node-0") && !Catch::Contains("node-2"));
  Output named = pool.Ctl("nodes --name '^node-[02]$' --json", 2);
  CHECK_THAT(named.text, Catch::Contains("\"node-0\"") && Catch::Contains("\"node-2\"") && !Catch::Contains("\"node-1\""));
  Output bad = pool.Ctl("nodes --name '(['", 2);
  CHECK(bad.status == 1);
  CHECK_THAT(bad.text, Catch::Contains("--name '(['"));
}

TEST_CASE("every node's [events] webhook together receive a pool-wide event once, and /metrics counts it") {
  TestPool pool;
  const uint16_t hook = testing::FreePort(), http = testing::FreePort();
  const std::string got = pool.dir().File("hook.txt");
  auto receiver = testing::Spawn({"/usr/bin/python3", SHOAL_SOURCE_DIR "/test/support/webhook_receiver.py",
                                  std::to_string(hook), got});
  pool.SetConfig(pool.dir().Write("events.toml", fmt::format("[[events.webhook]]\nurl = \"http://127.0.0.1:{}/e\"\n"
                                                             "types = [\"node.failed\", \"policy.\"]\n",
                                                             hook)));
  pool.Start(0, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http)});
  for (size_t i = 1; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("nodes", 0, [](const Output& o) { return o.text.find("node-2") != std::string::npos; })
              .status == 0);
  pool.node(2).process.Kill();
  auto read = [&] {
    std::ifstream in(got);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (int i = 0; i < 150 && read().find("\"type\":\"node.failed\"") == std::string::npos; ++i) ::usleep(100'000);
  ::usleep(1'500'000);  // time for a second (wrong) delivery
  const std::string text = read();
  INFO(text);
  size_t failed = 0;
  for (size_t at = 0; (at = text.find("\"type\":\"node.failed\"", at)) != std::string::npos; ++at) ++failed;
  CHECK(failed == 1);
  CHECK_THAT(text, Catch::Contains("application/json {") && Catch::Contains("\"subject\":\"node-2\""));
  Output m = testing::RunCommand(fmt::format("curl -s -m 5 http://127.0.0.1:{}/metrics", http));
  CHECK_THAT(m.text, Catch::Contains("shoal_event_sink_queued{sink=\"webhook http://127.0.0.1:") &&
                         Catch::Contains("shoal_events_total{type=\"node.joined\"}"));
}

TEST_CASE("shoalctl events --follow prints events as they happen, status --watch redraws, --no-headers") {
  TestPool pool;
  pool.Start(0, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; }).status == 0);
  const std::string out = pool.dir().File("follow.txt");
  testing::SpawnOptions options;
  options.output = out;
  auto follow = testing::Spawn({SHOALCTL_BINARY, "events", "--follow", "--json", "--node",
                                fmt::format("127.0.0.1:{}", pool.node(0).control), "--token", pool.read_token()},
                               "", options);
  ::usleep(1'500'000);
  REQUIRE(pool.Ctl("policy push " SHOAL_SOURCE_DIR "/examples/policies/small.xml", 0).status == 0);
  auto read = [&] {
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (int i = 0; i < 50 && read().find("policy.activated") == std::string::npos; ++i) ::usleep(100'000);
  const std::string text = read();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("\"type\":\"policy.activated\"") && Catch::Contains("\"type\":\"policy.pushed\""));
  // Each event once, though asked for again every second.
  ::usleep(2'500'000);
  auto events = Lines(read());
  CHECK(Count(events, "policy.pushed", FirstSubject(events, "policy.pushed")) == 1);

  const std::string watched = pool.dir().File("watch.txt");
  testing::SpawnOptions watch_options;
  watch_options.output = watched;
  auto watch = testing::Spawn({SHOALCTL_BINARY, "status", "--watch", "--interval", "1", "--node",
                               fmt::format("127.0.0.1:{}", pool.node(0).control), "--token", pool.read_token()},
                              "", watch_options);
  ::usleep(2'600'000);
  watch.Kill();
  std::ifstream in(watched);
  const std::string redrawn((std::istreambuf_iterator<char>(in)), {});
  size_t frames = 0;
  for (size_t at = 0; (at = redrawn.find("every 1 s, ", at)) != std::string::npos; ++at) ++frames;
  INFO(redrawn);
  CHECK(frames >= 2);
  CHECK_THAT(redrawn, Catch::Contains("pool as node-0 sees it"));
  CHECK_THAT(pool.Ctl("nodes", 0).text, Catch::StartsWith("NODE"));
  CHECK_THAT(pool.Ctl("nodes --no-headers", 0).text, Catch::StartsWith("node-0"));
  CHECK_THAT(pool.Ctl("events --no-headers --type policy.", 0).text, !Catch::Contains("SEVERITY"));
}

// Appends a key to node 0's key file, sends SIGHUP and waits for the
// `count`-th key.rotated event; returns the key events.
std::vector<nlohmann::json> RotateOnSighup(TestPool& pool, size_t count) {
  std::ofstream(pool.key(), std::ios::app) << std::string(63, 'a') << count << "\n";
  ::kill(pool.node(0).process.pid, SIGHUP);
  Output got = pool.CtlUntil("events --type key.rotated --json", 0,
                             [count](const Output& o) { return Lines(o.text).size() >= count; });
  INFO(got.text);
  auto events = Lines(got.text);
  REQUIRE(events.size() == count);
  return events;
}

TEST_CASE("a key file changed under a running daemon raises key.rotated on SIGHUP") {
  TestPool pool;
  pool.Start(0, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; }).status == 0);
  auto events = RotateOnSighup(pool, 1);
  CHECK(events[0]["severity"] == "notice");
  CHECK(events[0]["facts"]["keys"] == "2");
  CHECK_THAT(events[0]["text"].get<std::string>(), Catch::Contains("now holds 2 key(s)"));
}

TEST_CASE("a wall clock step (wall_clock_offset_ms on SIGHUP) dates what the daemon records after it") {
  TestPool pool;
  const std::string config = pool.dir().File("shoald.toml");
  std::ofstream(config) << "wall_clock_offset_ms = 0\n";
  pool.SetConfig(config);
  pool.Start(0, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; }).status == 0);
  // One SIGHUP steps the clock two hours ahead, then rotates the keys: the
  // rotation's event is dated by the stepped clock.
  constexpr int64_t kStepMs = 2 * 3600 * 1000;
  std::ofstream(config) << "wall_clock_offset_ms = " << kStepMs << "\n";
  const int64_t before_ms = WallClockMs();
  auto events = RotateOnSighup(pool, 1);
  const int64_t dated = events[0]["time_ms"].get<int64_t>();
  CHECK(dated >= before_ms + kStepMs);
  CHECK(dated <= WallClockMs() + kStepMs);
  // Back to the system's clock on the next SIGHUP: the next rotation is dated now.
  std::ofstream(config) << "wall_clock_offset_ms = 0\n";
  const int64_t back_ms = WallClockMs();
  events = RotateOnSighup(pool, 2);
  // Listed by time: the new one is the earlier of the two now.
  const int64_t again = std::min(events[0]["time_ms"].get<int64_t>(), events[1]["time_ms"].get<int64_t>());
  CHECK(again >= back_ms);
  CHECK(again <= WallClockMs());
}

TEST_CASE("a full disk under a daemon's state directory raises history.write_failed once, and history.writing once "
          "space is back",
          "[disk]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot mount a tmpfs; the full-disk test did not run");
    return;
  }
  TestPool pool;
  testing::SmallTmpfs disk(32 << 20, pool.dir().File("node-0"));
  pool.Start(0, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; }).status == 0);
  const std::string filler = disk.Fill();
  auto failed = EventsUntil(pool, 0, [](const auto& ev) { return Count(ev, "history.write_failed", "node-0") >= 1; });
  INFO(nlohmann::json(failed).dump(1));
  REQUIRE(Count(failed, "history.write_failed", "node-0") == 1);
  for (const auto& e : failed) {
    if (e["type"] == "history.write_failed") {
      CHECK(e["severity"] == "error");
      CHECK_THAT(e["text"].get<std::string>(), Catch::Contains("No space left on device"));
    }
  }
  std::filesystem::remove(filler);
  // RocksDB looks for free space every 5 s; the next period then writes.
  auto back = EventsUntil(pool, 0, [](const auto& ev) { return Count(ev, "history.writing", "node-0") >= 1; });
  INFO(nlohmann::json(back).dump(1));
  REQUIRE(Count(back, "history.writing", "node-0") == 1);
  CHECK(Count(back, "history.write_failed", "node-0") == 1);  // once, not every period
  REQUIRE(pool.Ctl("status", 0).status == 0);
}
