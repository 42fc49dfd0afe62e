// A real shoald process: it serves peer streams on TCP at its gossip port
// to callers holding the pool key, refuses others, and stops cleanly on
// SIGTERM. Ends only the process it started, by its id.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>

#include "daemon/key_file.h"
#include "gossip/tcp_streams.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// A port free for both UDP and TCP right now.
uint16_t FreePort() {
  asio::io_context io;
  for (int attempt = 0; attempt < 50; ++attempt) {
    asio::ip::udp::socket u(io, asio::ip::udp::endpoint(asio::ip::address_v4::loopback(), 0));
    uint16_t port = u.local_endpoint().port();
    boost::system::error_code ec;
    asio::ip::tcp::acceptor t(io);
    t.open(asio::ip::tcp::v4(), ec);
    if (!ec) t.bind(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    if (!ec) return port;
  }
  FAIL("no free port");
  return 0;
}

// The child process, stopped and reaped when the test ends, pass or fail.
struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // SIGTERM, then the exit status (-1 if it had to be killed after 10 s).
  int Stop() {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10'000);
    }
    return -1;
  }
};

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
            static_cast<char*>(nullptr));
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
