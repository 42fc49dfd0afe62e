// TCP peer streams on loopback: what a peer may hold and for how long
// (garbage, silence, floods, handshakes per address, idle connections, the
// inbound limit, no descriptors left). Calls and the codec: peer_streams_test.cc.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "core/file_limit.h"
#include "gossip/stream_codec.h"
#include "gossip/net/tcp_streams.h"
#include "test/gossip/tcp_pair.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace std::chrono_literals;
using namespace shoal::gossip::testing;
namespace asio = boost::asio;

TEST_CASE("TCP streams: garbage, silence and floods of connections are cut off and counted") {
  TcpStreams::Options options;
  options.handshake_timeout = 300ms;
  options.max_inbound = 3;
  TcpPair p(options);
  const Endpoint server = p.server->local_endpoint();
  std::atomic<int> finished{0};

  // A raw client in its own thread (the io_context runs here).
  auto raw = [&](std::function<void(asio::ip::tcp::socket&)> body) {
    return std::thread([&, body] {
      asio::io_context own;
      asio::ip::tcp::socket s(own);
      boost::system::error_code ec;
      s.connect(asio::ip::tcp::endpoint(asio::ip::address_v4(server.ip), server.port), ec);
      if (!ec) body(s);
      ++finished;
    });
  };
  auto wait_closed = [](asio::ip::tcp::socket& s) {
    std::array<char, 256> buf;
    boost::system::error_code ec;
    while (!ec) s.read_some(asio::buffer(buf), ec);  // until the server closes
  };

  // 1. Random bytes instead of a hello.
  std::thread garbage = raw([&](asio::ip::tcp::socket& s) {
    std::string junk(kHelloBytes, '\x5a');
    asio::write(s, asio::buffer(junk));
    wait_closed(s);
  });
  // 2. A valid handshake, then a frame length far over the limit.
  std::thread oversize = raw([&](asio::ip::tcp::socket& s) {
    (void)RawHandshake(s, FixedKey(1));
    std::array<uint8_t, 4> huge = {0xff, 0xff, 0xff, 0xff};
    asio::write(s, asio::buffer(huge));
    wait_closed(s);
  });
  // 3. Connects and says nothing: the handshake deadline closes it.
  std::thread silent = raw([&](asio::ip::tcp::socket& s) { wait_closed(s); });
  RunUntil(p.io, [&] { return finished == 3; });
  garbage.join();
  oversize.join();
  silent.join();
  REQUIRE(finished == 3);
  RunUntil(p.io, [&] { return p.server->open_connections() == 0; }, 2s);
  REQUIRE(p.server->counters().auth_failures == 1);  // the garbage hello
  REQUIRE(p.server->counters().malformed == 1);      // the oversized frame
  REQUIRE(p.server->open_connections() == 0);        // the silent one timed out

  // Over the inbound limit: the fourth of four idle connections is refused.
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<asio::ip::tcp::socket>(p.io));
    idle.back()->connect(asio::ip::tcp::endpoint(asio::ip::address_v4(server.ip), server.port));
  }
  RunUntil(p.io, [&] { return p.server->counters().refused == 1; }, 2s);
  REQUIRE(p.server->counters().refused == 1);
  // The server still serves a real caller.
  idle.clear();
  RunUntil(p.io, [&] { return p.server->open_connections() == 0; }, 3s);
  REQUIRE(*p.Call("still here") == "still here");
}

TEST_CASE("TCP streams: a hello naming the key id without the key holds no slot, and idle connections close") {
  TcpStreams::Options options;
  options.handshake_timeout = 400ms;
  options.idle_timeout = 300ms;
  options.max_handshakes_per_address = 3;
  options.handshakes_before_address_cap = 0;  // capped from the first
  TcpPair p(options);
  const Endpoint server = p.server->local_endpoint();
  const asio::ip::tcp::endpoint to(asio::ip::address_v4(server.ip), server.port);
  std::atomic<int> finished{0};
  std::atomic<bool> closed_by_server{false};

  // The probe's attack: the pool's key id (public in every datagram), a
  // random ephemeral key, and random bytes where the proof belongs.
  std::thread forger([&] {
    asio::io_context own;
    asio::ip::tcp::socket s(own);
    s.connect(to);
    HandshakeSide mine(Keyring::IdOf(FixedKey(1)), NodeId{66});
    auto hello = mine.hello().Encode();
    asio::write(s, asio::buffer(hello));
    std::array<uint8_t, kHelloBytes + kProofBytes + kStreamHeaderBytes> theirs;
    asio::read(s, asio::buffer(theirs));
    std::array<uint8_t, kProofBytes + kStreamHeaderBytes> junk;
    randombytes_buf(junk.data(), junk.size());
    asio::write(s, asio::buffer(junk));
    std::array<char, 16> buf;
    boost::system::error_code ec;
    s.read_some(asio::buffer(buf), ec);
    closed_by_server = ec == asio::error::eof || ec == asio::error::connection_reset;
    ++finished;
  });
  RunUntil(p.io, [&] { return finished == 1; });
  forger.join();
  REQUIRE(closed_by_server);
  REQUIRE(p.server->counters().auth_failures == 1);
  RunUntil(p.io, [&] { return p.server->open_connections() == 0; }, 2s);
  REQUIRE(p.server->open_connections() == 0);

  // Hellos that stop there: at most 3 handshakes at once from one address,
  // and those close at the deadline.
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> stalled;
  for (int i = 0; i < 5; ++i) {
    stalled.push_back(std::make_unique<asio::ip::tcp::socket>(p.io));
    stalled.back()->connect(to);
    HandshakeSide mine(Keyring::IdOf(FixedKey(1)), NodeId{67});
    auto hello = mine.hello().Encode();
    asio::write(*stalled.back(), asio::buffer(hello));
  }
  RunUntil(p.io, [&] { return p.server->counters().refused == 2; }, 2s);
  REQUIRE(p.server->counters().refused == 2);
  RunUntil(p.io, [&] { return p.server->open_connections() == 0; }, 2s);
  REQUIRE(p.server->open_connections() == 0);
  stalled.clear();

  // A real caller gets in; once its call is answered and nothing more
  // happens, both ends close the connection after the idle timeout.
  REQUIRE(*p.Call("hello") == "hello");
  REQUIRE(p.client->open_connections() == 1);
  RunUntil(p.io, [&] { return p.server->open_connections() + p.client->open_connections() == 0; }, 3s);
  REQUIRE(p.server->open_connections() == 0);
  REQUIRE(p.client->open_connections() == 0);
  // A call that outlasts the idle timeout is not cut off.
  PeerStreams::Respond parked;
  p.server->Serve(StreamService::kPolicyFetch, [&](const StreamPeer&, std::string, PeerStreams::Respond r) {
    parked = std::move(r);
  });
  std::optional<Result<std::string>> out;
  p.client->Call(server, StreamService::kPolicyFetch, "slow", 5s, [&](Result<std::string> r) { out = std::move(r); });
  RunUntil(p.io, [&] { return false; }, 700ms);
  REQUIRE(parked);
  parked(std::string("late"));
  RunUntil(p.io, [&] { return out.has_value(); });
  REQUIRE(out->ok());
  REQUIRE(**out == "late");
}

TEST_CASE("TCP streams: at the inbound limit the connection idle longest makes room, a busy one never") {
  TcpStreams::Options options;
  options.max_inbound = 2;
  TcpPair p(options);
  const Endpoint server = p.server->local_endpoint();
  std::vector<std::unique_ptr<TcpStreams>> callers;
  auto call = [&](TcpStreams& from, StreamService service, std::string request) {
    auto out = std::make_shared<std::optional<Result<std::string>>>();
    from.Call(server, service, std::move(request), 5s, [out](Result<std::string> r) { *out = std::move(r); });
    return out;
  };
  auto answered = [&](const std::shared_ptr<std::optional<Result<std::string>>>& out) {
    RunUntil(p.io, [&] { return out->has_value(); });
    return out->has_value() && (*out)->ok();
  };
  for (uint64_t i = 0; i < 4; ++i) {
    auto c = TcpStreams::Open(p.io, kLoopback, p.client_ring, NodeId{30 + i}, options);
    REQUIRE(c.ok());
    callers.push_back(std::move(*c));
  }
  // Three callers in turn, each once (a fresh pool's restore): the third
  // takes the place of the first, idle longest; nobody is refused.
  for (size_t i = 0; i < 3; ++i) REQUIRE(answered(call(*callers[i], StreamService::kEcho, "once")));
  RunUntil(p.io, [&] { return callers[0]->open_connections() == 0; }, 2s);
  CHECK(p.server->counters().refused == 0);
  CHECK(p.server->counters().evicted == 1);
  CHECK(p.server->open_connections() == 2);
  CHECK(callers[0]->open_connections() == 0);  // its end saw the close
  // The first caller calls again: a new connection, in the place of the second.
  REQUIRE(answered(call(*callers[0], StreamService::kEcho, "again")));
  CHECK(p.server->counters().evicted == 2);

  // Both connections busy (calls parked at the server): a new one is refused.
  std::vector<PeerStreams::Respond> parked;
  p.server->Serve(StreamService::kPolicyFetch, [&](const StreamPeer&, std::string, PeerStreams::Respond r) {
    parked.push_back(std::move(r));
  });
  auto slow0 = call(*callers[0], StreamService::kPolicyFetch, "slow");
  auto slow2 = call(*callers[2], StreamService::kPolicyFetch, "slow");
  RunUntil(p.io, [&] { return parked.size() == 2; });
  REQUIRE(parked.size() == 2);
  auto refused = call(*callers[3], StreamService::kEcho, "no room");
  RunUntil(p.io, [&] { return refused->has_value(); });
  REQUIRE(refused->has_value());
  CHECK_FALSE((*refused)->ok());
  CHECK(p.server->counters().refused == 1);
  CHECK(p.server->counters().evicted == 2);
  for (auto& r : parked) r(std::string("late"));
  CHECK(answered(slow0));
  CHECK(answered(slow2));
}

namespace {

// Takes every free descriptor under a lowered open-file limit, so that
// nothing can be opened or accepted; gives them back and restores the
// limit (through RaiseFileLimit) when freed or destroyed.
class DescriptorsTaken {
 public:
  DescriptorsTaken() {
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(HighestOpen() + 1);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int fd = dup(0); fd >= 0; fd = dup(0)) taken_.push_back(fd);
  }
  ~DescriptorsTaken() { (void)Free(); }
  Result<uint64_t> Free() {
    for (int fd : taken_) close(fd);
    taken_.clear();
    return RaiseFileLimit(saved_.rlim_cur);
  }
  uint64_t saved() const { return saved_.rlim_cur; }

 private:
  static int HighestOpen() {
    int highest = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(e.path().filename().string()));
    }
    return highest;
  }
  rlimit saved_{};
  std::vector<int> taken_;
};

}  // namespace

TEST_CASE("TCP streams: out of descriptors a connection waits in the queue without a spin, then is accepted") {
  TcpPair p;
  const Endpoint server = p.server->local_endpoint();
  // The sanitizers check an object's type at the first virtual call to it
  // through a pipe, which fails with no descriptor left: what the retry
  // calls is called once first (a call's timers; a refusal's log line,
  // for a hello that is garbage; an error's message).
  REQUIRE(p.Call("warm").ok());
  {
    asio::ip::tcp::socket junk(p.io);
    junk.connect(asio::ip::tcp::endpoint(asio::ip::address_v4(server.ip), server.port));
    asio::write(junk, asio::buffer(std::string(kHelloBytes, '\x5a')));
    RunUntil(p.io, [&] { return p.server->counters().auth_failures == 1; });
    REQUIRE(p.server->counters().auth_failures == 1);
  }
  (void)asio::error::make_error_code(asio::error::no_descriptors).message();
  asio::ip::tcp::socket raw(p.io);
  raw.open(asio::ip::tcp::v4());  // its descriptor before they run out
  {
    DescriptorsTaken none;
    CHECK(dup(0) < 0);
    raw.connect(asio::ip::tcp::endpoint(asio::ip::address_v4(server.ip), server.port));
    RunUntil(p.io, [] { return false; }, 350ms);
    // Retried every 100 ms, not at once (thousands of failures a second).
    CHECK(p.server->counters().refused >= 2);
    CHECK(p.server->counters().refused <= 6);
    CHECK(p.server->counters().accepted == 2);  // the first call's and the junk's
    auto limit = none.Free();
    REQUIRE(limit.ok());
    CHECK(*limit == none.saved());
  }
  RunUntil(p.io, [&] { return p.server->counters().accepted == 3; }, 2s);
  CHECK(p.server->counters().accepted == 3);
  CHECK(p.server->open_connections() == 2);  // the first call's and this one
}

TEST_CASE("Open-file limit: raised up to the hard limit, never lowered") {
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(RaiseFileLimit(1).value() == saved.rlim_cur);  // not lowered
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 512);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  CHECK(RaiseFileLimit(0).value() == saved.rlim_max);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  // Above the hard limit: raised where the process may (CAP_SYS_RESOURCE),
  // else refused naming the limit asked, with the soft one at the hard.
  auto over = RaiseFileLimit(saved.rlim_max + 1);
  rlimit now{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &now) == 0);
  if (over.ok()) {
    CHECK(*over == saved.rlim_max + 1);
    CHECK(now.rlim_max == saved.rlim_max + 1);
  } else {
    CHECK_THAT(over.error().message, Catch::Contains(std::to_string(saved.rlim_max + 1)));
    CHECK(now.rlim_cur == saved.rlim_max);
  }
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);  // lowering a hard limit needs no right
}
