// A real shoald process: it serves peer streams on TCP at its gossip port
// to callers holding the pool key, refuses others, and stops cleanly on
// SIGTERM. Ends only the process it started, by its id.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>

#include "daemon/key_file.h"
#include "gossip/net/tcp_streams.h"
#include "test/support/pool.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using testing::Child;
using testing::FreePort;
using testing::Output;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

Result<std::string> Echo(asio::io_context& io, gossip::TcpStreams& client, const Endpoint& to,
                         const std::string& text) {
  std::optional<Result<std::string>> out;
  client.Call(to, gossip::StreamService::kEcho, text, 2s, [&](Result<std::string> r) { out = std::move(r); });
  while (!out) {
    io.run_for(10ms);
    io.restart();
  }
  return std::move(*out);
}

}  // namespace

TEST_CASE("shoald serves peer streams at its gossip port to the pool only") {
  testing::TempDir dir;
  const std::string key = dir.File("pool.key");
  REQUIRE(daemon::WriteNewKeyFile(key).ok());
  const uint16_t port = FreePort();
  const std::string bind = "127.0.0.1:" + std::to_string(port);
  const std::string state = dir.File("state");

  Child child;
  child.pid = ::fork();
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    ::execl(SHOALD_BINARY, "shoald", "--name", "stream-test", "--bind", bind.c_str(), "--key-file",
            key.c_str(), "--state-dir", state.c_str(), "--preset", "local", "--log-level", "warn",
            "--enforcer", "off", static_cast<char*>(nullptr));
    ::_exit(127);
  }

  asio::io_context io;
  auto ring = daemon::LoadKeyFile(key);
  REQUIRE(ring.ok());
  auto client = gossip::TcpStreams::Open(io, Endpoint{0x7f000001, 0}, *ring, NodeId{5});
  REQUIRE(client.ok());
  const Endpoint daemon{0x7f000001, port};

  // Until it listens (start-up takes a moment).
  Result<std::string> reply = MakeError("not tried");
  for (int i = 0; i < 100 && !reply.ok(); ++i) {
    reply = Echo(io, **client, daemon, "ping");
    if (!reply.ok()) ::usleep(50'000);
  }
  INFO((reply.ok() ? std::string() : reply.error().message));
  REQUIRE(reply.ok());
  REQUIRE(*reply == "ping");

  gossip::Keyring stranger;
  stranger.Add(gossip::Keyring::Generate());
  auto outsider = gossip::TcpStreams::Open(io, Endpoint{0x7f000001, 0}, stranger, NodeId{6});
  REQUIRE(outsider.ok());
  auto refused = Echo(io, **outsider, daemon, "let me in");
  REQUIRE_FALSE(refused.ok());

  REQUIRE(child.Stop() == 0);
}

TEST_CASE("shoalctl pushes a policy to one shoald and the whole pool runs it, across restarts") {
  testing::TestPool pool;
  for (size_t i = 0; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  auto lines = [](const Output& o) { return std::count(o.text.begin(), o.text.end(), '\n'); };
  // Wait for the pool: node 0 sees all three.
  Output versions = pool.CtlUntil("policy versions", 0, [&](const Output& o) { return o.status == 0 && lines(o) == 3; });
  REQUIRE(lines(versions) == 3);
  REQUIRE_THAT(versions.text, Catch::Contains("node-2 none"));

  Output bad = testing::RunCommand(fmt::format("echo '<shoal-policy><pipe name=\"x\"/></shoal-policy>' | {} policy push - "
                                               "--node 127.0.0.1:{} --token {} --admin-key {}",
                                               SHOALCTL_BINARY, pool.node(1).control, pool.admin_token(),
                                               pool.admin_key()));
  REQUIRE(bad.status == 1);
  REQUIRE_THAT(bad.text, Catch::Contains("<pipe>: give the capacity of at least one direction"));
  // The pool has admin keys: an unsigned document (an admin token, but no
  // admin key) is refused, and so is a mode switch the daemon would sign.
  Output unsigned_push = testing::RunCommand(
      fmt::format("{} policy push {} --node 127.0.0.1:{} --token {}", SHOALCTL_BINARY,
                  SHOAL_SOURCE_DIR "/examples/policies/small.xml", pool.node(1).control, pool.admin_token()));
  REQUIRE(unsigned_push.status == 1);
  REQUIRE_THAT(unsigned_push.text, Catch::Contains("not signed by an admin key"));

  Output pushed = pool.Ctl("policy push " SHOAL_SOURCE_DIR "/examples/policies/small.xml", 1);
  INFO(pushed.text);
  REQUIRE(pushed.status == 0);
  // "r1, 2026-12-03 10:56:08 from node-1 (mode enforce)": the stamp as every node shows it.
  REQUIRE_THAT(pushed.text, Catch::StartsWith("r1, ") && Catch::Contains(" from node-1 (mode enforce)\n"));
  std::string version = pushed.text.substr(0, pushed.text.find(" (mode"));
  auto count = [&](const std::string& text) {
    size_t same = 0;
    for (size_t at = text.find(version); at != std::string::npos; at = text.find(version, at + 1)) ++same;
    return same;
  };
  versions = pool.CtlUntil("policy versions", 2, [&](const Output& o) { return count(o.text) == 3; }, 50);
  INFO(versions.text);
  REQUIRE(count(versions.text) == 3);
  Output shown = pool.Ctl("policy show", 2);
  REQUIRE(shown.status == 0);
  REQUIRE_THAT(shown.text, Catch::Contains(version));
  REQUIRE_THAT(shown.text, Catch::Contains("shoal-demo-burn gold"));

  // Node 2 restarts alone (its seed is down): it runs the stored document at once.
  REQUIRE(pool.node(0).process.Stop() == 0);
  REQUIRE(pool.node(2).process.Stop() == 0);
  pool.Start(2, {"--enforcer", "off"});
  Output restored = pool.CtlUntil("policy show", 2, [](const Output& o) { return o.status == 0; }, 50);
  REQUIRE(restored.status == 0);
  // Its origin's name may not be known yet, so early after a restart: the revision and time are.
  REQUIRE_THAT(restored.text, Catch::StartsWith(version.substr(0, version.find(" from "))));
}

TEST_CASE("a second shoald started with an existing node's name refuses to run and says why") {
  testing::TestPool pool;
  pool.Start(0);
  pool.Start(1);
  REQUIRE(pool.CtlUntil("nodes", 0, [](const Output& o) { return o.text.find("node-1") != std::string::npos; })
              .status == 0);
  ::sleep(1);  // a later boot than node-1's
  // A clone of node-1 (a copied VM keeps its host name) on another port.
  const uint16_t port = FreePort();
  Output clone = testing::RunCommand(fmt::format(
      "timeout 25 {} --config /dev/null --name node-1 --bind 127.0.0.1:{} --seed 127.0.0.1:{} --key-file {} "
      "--state-dir {} --preset local --log-level warn --control 127.0.0.1:{} --tokens-file {}",
      SHOALD_BINARY, port, pool.node(0).port, pool.key(), pool.dir().File("clone"), FreePort(), pool.tokens()));
  INFO(clone.text);
  REQUIRE(clone.status == 2);
  REQUIRE_THAT(clone.text, Catch::Contains("node 'node-1' is already live at 127.0.0.1:") && Catch::Contains("another node_name"));
  // The real node-1 is still there and still in the pool.
  REQUIRE(::kill(pool.node(1).process.pid, 0) == 0);
  REQUIRE(pool.CtlUntil("nodes", 0, [](const Output& o) {
                return o.text.find("node-1") != std::string::npos && o.text.find("failed") == std::string::npos;
              }).status == 0);
}

TEST_CASE("shoald: bad flags and values exit 2 with a message that names them") {
  for (const std::string& args : {std::string("--fanout -1"), std::string("--cpu-millicores -5"),
                                  std::string("--period-ms 3"), std::string("--no-such-flag"),
                                  std::string("--name ../etc --bind 127.0.0.1:1")}) {
    Output out = testing::RunCommand(fmt::format("{} --config /dev/null {}", SHOALD_BINARY, args));
    INFO(args << ": " << out.text);
    REQUIRE(out.status == 2);
    REQUIRE_FALSE(out.text.empty());
  }
  REQUIRE(testing::RunCommand(fmt::format("{} --help", SHOALD_BINARY)).status == 0);
}
