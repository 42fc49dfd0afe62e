// shoald as a system service, with real processes: systemd's notify
// protocol received on a real datagram socket the test binds (as systemd
// would: READY, STATUS, WATCHDOG, RELOADING, STOPPING), the configuration
// reread on SIGHUP, and the JSON log format. Ends only what it started.
#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "daemon/config.h"
#include "daemon/key_file.h"
#include "daemon/reload.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using testing::ReadAll;
using shoal::testing::FreePort;
using shoal::testing::Spawn;
using shoal::testing::TempDir;
using namespace std::chrono_literals;

namespace {

// A datagram socket at `path`, as systemd's $NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof a.sun_path);
    std::copy(path.begin(), path.end(), a.sun_path);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  // The next message holding `what`, waiting up to `limit`; "" if none.
  std::string WaitFor(const std::string& what, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string m(buf, static_cast<size_t>(n));
      received.push_back(m);
      if (m.find(what) != std::string::npos) return m;
    }
    return "";
  }
  std::vector<std::string> received;

 private:
  int fd_ = -1;
};

// Waits up to 10 s for `path` to hold `what`.
bool FileHolds(const std::string& path, const std::string& what) {
  for (int i = 0; i < 200; ++i) {
    if (ReadAll(path).find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

struct ServiceFixture {
  TempDir dir;
  std::string key = dir.File("pool.key");
  uint16_t port = FreePort();
  uint16_t control = FreePort();
  ServiceFixture() { REQUIRE(daemon::WriteNewKeyFile(key).ok()); }
  std::string Config(const std::string& log_level, const std::string& seeds) {
    return dir.Write("shoald.toml", fmt::format(R"(node_name = "svc"
bind = "127.0.0.1:{}"
seeds = [{}]
key_file = "{}"
state_dir = "{}"
log_level = "{}"
preset = "local"
[cpu]
enforcer = "off"
[control]
listen = "127.0.0.1:{}"
)",
                                                 port, seeds, key, dir.File("state"), log_level, control));
  }
};

}  // namespace

TEST_CASE("reload plan: live settings are taken, the others named with old and new values") {
  daemon::DaemonConfig a;
  a.node_name = "n";
  daemon::DaemonConfig b = a;
  b.log_level = "debug";
  b.seeds = {"db-1"};
  b.bind = Endpoint{0x7f000001, 7000};
  b.gossip.fanout = 5;
  const auto plan = daemon::PlanReload(a, b);
  CHECK(plan.live == std::vector<std::string>{"log_level", "seeds"});
  REQUIRE(plan.restart.size() == 2);
  CHECK(plan.restart[0] == "bind (0.0.0.0:7946 -> 127.0.0.1:7000)");
  CHECK(plan.restart[1] == "gossip.fanout (3 -> 5)");
  CHECK(daemon::PlanReload(a, a).live.empty());
  CHECK(daemon::PlanReload(a, a).restart.empty());
}

TEST_CASE("shoald speaks systemd's notify protocol: ready, status, watchdog, reloading, stopping") {
  ServiceFixture f;
  const std::string config = f.Config("info", "");
  NotifySocket notify(f.dir.File("notify"));
  auto child = Spawn({SHOALD_BINARY, "--config", config}, "",
                     {{"NOTIFY_SOCKET=" + f.dir.File("notify"), "WATCHDOG_USEC=400000"}, f.dir.File("log")});
  const std::string ready = notify.WaitFor("READY=1");
  INFO(ReadAll(f.dir.File("log")));
  REQUIRE_THAT(ready, Catch::Contains("STATUS=1 of 1 members live; policy none (monitor (no policy))"));
  // Pings every half of the watchdog's interval, from the event loop.
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE_THAT(notify.WaitFor("WATCHDOG=1", 2s), Catch::Contains("STATUS="));
  REQUIRE_THAT(notify.WaitFor("WATCHDOG=1", 2s), Catch::Contains("STATUS="));
  CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
  ::kill(child.pid, SIGHUP);
  REQUIRE_FALSE(notify.WaitFor("RELOADING=1").empty());
  REQUIRE_FALSE(notify.WaitFor("READY=1").empty());
  ::kill(child.pid, SIGTERM);
  REQUIRE_THAT(notify.WaitFor("STOPPING=1"), Catch::Contains("leaving"));
  CHECK(child.Stop() == 0);
}

TEST_CASE("shoald rereads its configuration on SIGHUP and names what needs a restart") {
  ServiceFixture f;
  const std::string config = f.Config("info", "");
  auto child = Spawn({SHOALD_BINARY, "--config", config}, "", {{}, f.dir.File("log")});
  REQUIRE(FileHolds(f.dir.File("log"), "advertising 127.0.0.1"));
  // A broken file is refused and the running configuration stays.
  f.dir.Write("shoald.toml", "colour = 1\n");
  ::kill(child.pid, SIGHUP);
  REQUIRE(FileHolds(f.dir.File("log"), "configuration not reloaded, the running one stays"));
  REQUIRE(FileHolds(f.dir.File("log"), "'colour' is not a known key"));

  f.port = static_cast<uint16_t>(f.port + 1);
  f.Config("warn", "\"127.0.0.1:1\"");
  ::kill(child.pid, SIGHUP);
  REQUIRE(FileHolds(f.dir.File("log"), "reloaded: log_level, seeds"));
  REQUIRE(FileHolds(f.dir.File("log"), "changed but taken only at a restart: advertise ("));
  CHECK_THAT(ReadAll(f.dir.File("log")), Catch::Contains(fmt::format("bind (127.0.0.1:{} -> 127.0.0.1:{})",
                                                                     f.port - 1, f.port)));
  // The new level is in force: the key file's reload, said at info, is no
  // longer written.
  f.dir.Write("shoald.toml", "flavour = 2\n");
  ::kill(child.pid, SIGHUP);
  REQUIRE(FileHolds(f.dir.File("log"), "'flavour' is not a known key"));
  const std::string log = ReadAll(f.dir.File("log"));
  const std::string after = log.substr(log.find("reloaded: log_level"));
  CHECK(log.find("key(s), primary") != std::string::npos);
  CHECK(after.find("key(s), primary") == std::string::npos);
  CHECK(child.Stop() == 0);
}

TEST_CASE("shoald --log-format json writes one JSON object per line, with the peer a line is about") {
  ServiceFixture f;
  const std::string config = f.Config("info", "");
  auto child = Spawn({SHOALD_BINARY, "--config", config, "--log-format", "json"}, "", {{}, f.dir.File("log")});
  REQUIRE(FileHolds(f.dir.File("log"), "advertising"));
  // A second node joins: the first logs it with the field "peer" (its id:
  // its name comes with its first status, later).
  const uint16_t other = FreePort();
  auto second = Spawn({SHOALD_BINARY, "--config", config, "--name", "svc-2", "--bind",
                       fmt::format("127.0.0.1:{}", other), "--seed", fmt::format("127.0.0.1:{}", f.port), "--state-dir",
                       f.dir.File("state-2"), "--control", fmt::format("127.0.0.1:{}", FreePort())},
                      "", {{}, f.dir.File("log-2")});
  REQUIRE(FileHolds(f.dir.File("log"), " joined\",\"node\":\"svc\",\"peer\":\""));
  CHECK(second.Stop() == 0);
  CHECK(child.Stop() == 0);
  std::istringstream lines(ReadAll(f.dir.File("log")));
  std::string line;
  int parsed = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    auto j = nlohmann::json::parse(line);
    CHECK(j["node"] == "svc");
    CHECK(j.contains("time"));
    CHECK(j.contains("level"));
    CHECK(j["msg"].is_string());
    ++parsed;
  }
  CHECK(parsed >= 3);
}
