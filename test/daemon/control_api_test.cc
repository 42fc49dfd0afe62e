// The control API of a real shoald: tokens and roles, refusal of oversized,
// malformed and unauthorized requests without harm to the daemon, and the
// pool questions answered through shoalctl (text and JSON).
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "control.pb.h"
#include "core/big_endian.h"
#include "daemon/control/seal.h"
#include "test/support/pool.h"

using namespace shoal;
using testing::Output;
namespace asio = boost::asio;

namespace {

// Sends raw bytes to the control port; returns the decoded response (or an
// empty one with error "closed" if the daemon closed without answering).
daemon::control::Response RawCall(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
  asio::write(s, asio::buffer(bytes));
  daemon::control::Response r;
  uint8_t header[4];
  boost::system::error_code ec;
  asio::read(s, asio::buffer(header), ec);
  if (ec) {
    r.set_error("closed");
    return r;
  }
  std::string body(GetBigEndian(header, 4), '\0');
  asio::read(s, asio::buffer(body), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(r.ParseFromString(body));
  // After an error the daemon closes the connection.
  char more;
  s.read_some(asio::buffer(&more, 1), ec);
  REQUIRE(ec);
  return r;
}

std::string Framed(const std::string& body) {
  std::string out;
  AppendBigEndian(out, body.size(), 4);
  return out + body;
}

// A TCP relay on loopback that records every byte both ways: what anyone
// on the path between shoalctl and shoald would see.
class Recorder {
 public:
  explicit Recorder(uint16_t to) : to_(to), acceptor_(io_, {asio::ip::address_v4::loopback(), 0}) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~Recorder() {
    stop_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket poke(io_);
    poke.connect({asio::ip::address_v4::loopback(), port()}, ec);  // wakes accept()
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stop_) {
      asio::ip::tcp::socket in(io_), out(io_);
      boost::system::error_code ec;
      acceptor_.accept(in, ec);
      if (ec || stop_) return;
      out.connect({asio::ip::address_v4::loopback(), to_}, ec);
      if (ec) continue;
      std::thread back([&] { Copy(out, in); });
      Copy(in, out);
      back.join();
    }
  }
  void Copy(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) {
    std::array<char, 4096> buf;
    boost::system::error_code ec;
    for (;;) {
      const size_t n = from.read_some(asio::buffer(buf), ec);
      if (ec) break;
      {
        std::lock_guard<std::mutex> l(mu_);
        seen_.append(buf.data(), n);
      }
      asio::write(to, asio::buffer(buf.data(), n), ec);
      if (ec) break;
    }
    to.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }

  uint16_t to_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string seen_;
};

}  // namespace

TEST_CASE("control API: sealed under the token, nothing on the path shows the token, and plain only from loopback") {
  testing::TestPool pool;
  pool.Start(0, {"--enforcer", "off"});
  REQUIRE(pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; }).status == 0);
  const std::string token = pool.admin_token();
  auto token_bytes = daemon::TokenSecret(token);
  REQUIRE(token_bytes.ok());
  const std::string raw(reinterpret_cast<const char*>(token_bytes->data()), token_bytes->size());

  {
    Recorder path(pool.node(0).control);
    Output sealed = testing::RunCommand(fmt::format("{} status --sealed --node 127.0.0.1:{} --token {}",
                                                    SHOALCTL_BINARY, path.port(), token));
    INFO(sealed.text);
    REQUIRE(sealed.status == 0);
    REQUIRE_THAT(sealed.text, Catch::Contains("pool as node-0 sees it"));
    // An admin command with a document travels sealed too.
    Output pushed = testing::RunCommand(fmt::format("{} policy push {} --sealed --node 127.0.0.1:{} --token {} --admin-key {}",
                                                    SHOALCTL_BINARY, SHOAL_SOURCE_DIR "/examples/policies/small.xml",
                                                    path.port(), token, pool.admin_key()));
    INFO(pushed.text);
    REQUIRE(pushed.status == 0);
    const std::string seen = path.seen();
    REQUIRE(seen.size() > 1000);
    REQUIRE(seen.find(token) == std::string::npos);
    REQUIRE(seen.find(raw) == std::string::npos);
    REQUIRE(seen.find("gold") == std::string::npos);  // nor the policy's text
  }
  {
    // The same path, plain: the capture would show the token (the test's control).
    Recorder path(pool.node(0).control);
    // Answered (3: the pool is not healthy yet, the pushed policy just activating).
    Output plain = testing::RunCommand(fmt::format("{} status --node 127.0.0.1:{} --token {}", SHOALCTL_BINARY,
                                                   path.port(), token));
    REQUIRE((plain.status == 0 || plain.status == 3));
    REQUIRE_THAT(plain.text, Catch::Contains("pool as node-0 sees it"));
    REQUIRE(path.seen().find(token) != std::string::npos);
  }
  // A token the daemon does not hold: the handshake fails, and says so.
  Output stranger = testing::RunCommand(fmt::format("{} status --sealed --node 127.0.0.1:{} --token {}",
                                                    SHOALCTL_BINARY, pool.node(0).control, std::string(64, 'b')));
  REQUIRE(stranger.status == 1);
  REQUIRE_THAT(stranger.text, Catch::Contains("holds no such token"));
  // Plain connections are served from loopback only; shoalctl seals for any other address.
  REQUIRE(daemon::PlainAllowedFrom(Endpoint{0x7f000001, 1}));
  REQUIRE(daemon::PlainAllowedFrom(Endpoint{0x7f000102, 1}));
  REQUIRE_FALSE(daemon::PlainAllowedFrom(Endpoint{0x0a000005, 7947}));
  REQUIRE_FALSE(daemon::PlainAllowedFrom(Endpoint{0xc0a80001, 7947}));
  Output status = pool.Ctl("status", 0);
  REQUIRE_THAT(status.text, Catch::Contains("unauthorized 1"));
}

TEST_CASE("control API: tokens, roles, bad requests refused, pool questions answered") {
  testing::TestPool pool;
  pool.Start(0, {"--enforcer", "off"});
  Output status = pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0; });
  INFO(status.text);
  REQUIRE(status.status == 0);
  REQUIRE_THAT(status.text, Catch::Contains("pool as node-0 sees it") && Catch::Contains("1 live, 0 failed") &&
                                Catch::Contains("monitor (no policy)"));

  // JSON for scripts. The node's capacity is known from its first sample
  // of the machine, which may come after its control port opens.
  Output json = pool.CtlUntil("status --json", 0, [](const Output& o) {
    return o.status == 0 && nlohmann::json::parse(o.text)["capacity_m"].get<double>() > 0;
  });
  REQUIRE(json.status == 0);
  auto parsed = nlohmann::json::parse(json.text);
  REQUIRE(parsed["nodes_live"] == 1);
  REQUIRE(parsed["capacity_m"].get<double>() >= 1000);
  Output nodes = pool.Ctl("nodes --json", 0);
  REQUIRE(nlohmann::json::parse(nodes.text)["nodes"][0]["name"] == "node-0");
  // Each node's build and the protocol versions it speaks, for rolling upgrades.
  CHECK_THAT(nlohmann::json::parse(nodes.text)["nodes"][0]["build"].get<std::string>(), Catch::StartsWith("0.1.0 ("));
  CHECK(nlohmann::json::parse(nodes.text)["nodes"][0]["protocols"] == "1-2");
  Output table = pool.Ctl("nodes -o wide", 0);  // the wide table: builds and protocols too
  CHECK_THAT(table.text, Catch::Contains("BUILD") && Catch::Contains("PROTO") && Catch::Contains(" 1-2"));
  Output pipes = pool.Ctl("pipes", 0);
  CHECK(pipes.status == 0);
  CHECK_THAT(pipes.text, Catch::Contains("node-0 runs no policy: no pipes"));

  // Roles: a read-only token may ask, not push.
  const std::string read = fmt::format("{} {{}} --node 127.0.0.1:{} --token {}", SHOALCTL_BINARY, pool.node(0).control,
                                       pool.read_token());
  REQUIRE(testing::RunCommand(fmt::format(fmt::runtime(read), "apps")).status == 0);
  Output refused = testing::RunCommand(
      fmt::format(fmt::runtime(read), "policy push " SHOAL_SOURCE_DIR "/examples/policies/small.xml"));
  REQUIRE(refused.status == 1);
  REQUIRE_THAT(refused.text, Catch::Contains("needs an admin token"));
  Output mode = testing::RunCommand(fmt::format(fmt::runtime(read), "mode enforce"));
  REQUIRE(mode.status == 1);
  REQUIRE_THAT(mode.text, Catch::Contains("needs an admin token"));
  Output stranger = testing::RunCommand(fmt::format("{} status --node 127.0.0.1:{} --token {}", SHOALCTL_BINARY,
                                                    pool.node(0).control, std::string(64, 'a')));
  REQUIRE(stranger.status == 1);
  REQUIRE_THAT(stranger.text, Catch::Contains("token refused"));
  Output no_token = testing::RunCommand(fmt::format("{} status --node 127.0.0.1:{} --token-file /nonexistent",
                                                    SHOALCTL_BINARY, pool.node(0).control));
  REQUIRE(no_token.status == 1);
  REQUIRE_THAT(no_token.text, Catch::Contains("no token"));

  // Bad requests: refused, the connection closed, the daemon unharmed.
  auto big = RawCall(pool.node(0).control, std::string("\xff\xff\xff\xff", 4));
  REQUIRE_THAT(big.error(), Catch::Contains("request of 4294967295 bytes refused"));
  auto junk = RawCall(pool.node(0).control, Framed("\x0a\xff\xff junk"));
  REQUIRE_THAT(junk.error(), Catch::Contains("malformed request"));
  daemon::control::Request no_command;
  no_command.set_token(pool.admin_token());
  REQUIRE_THAT(RawCall(pool.node(0).control, Framed(no_command.SerializeAsString())).error(),
               Catch::Contains("malformed request"));
  daemon::control::Request bad_token;
  bad_token.set_token("short");
  bad_token.mutable_status();
  REQUIRE_THAT(RawCall(pool.node(0).control, Framed(bad_token.SerializeAsString())).error(),
               Catch::Contains("token refused"));
  // The refusals show in status, by listener and reason.
  Output counted = pool.Ctl("status", 0);
  REQUIRE(counted.status == 0);
  REQUIRE_THAT(counted.text, Catch::Contains("refused (control) oversized 1, malformed 2, unauthorized 2"));

  // A request whose length header claims 8 MiB holds only what really arrived.
  const std::string claim = std::string("\x00\x7f\xff\xff", 4) + std::string(1000, 'x');
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
  const long rss_before = testing::RssKb(pool.node(0).process.pid);
  for (int i = 0; i < 20; ++i) {
    held.push_back(std::make_unique<asio::ip::tcp::socket>(io));
    held.back()->connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), pool.node(0).control));
    asio::write(*held.back(), asio::buffer(claim));
  }
  ::usleep(300'000);
  // 20 x 8 MiB would be 160 MiB more (measured as growth: a sanitizer
  // build's daemon starts near 100 MiB).
  REQUIRE(testing::RssKb(pool.node(0).process.pid) - rss_before < 40 * 1024);
  held.clear();

  // History questions with negative figures are refused, not answered empty.
  daemon::control::Request negative;
  negative.set_token(pool.admin_token());
  negative.mutable_history()->set_what("pool");
  negative.mutable_history()->set_step_ms(-1000);
  asio::ip::tcp::socket q(io);
  q.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), pool.node(0).control));
  const std::string framed = Framed(negative.SerializeAsString());
  asio::write(q, asio::buffer(framed));
  uint8_t header[4];
  asio::read(q, asio::buffer(header));
  std::string body(GetBigEndian(header, 4), '\0');
  asio::read(q, asio::buffer(body));
  daemon::control::Response answer;
  REQUIRE(answer.ParseFromString(body));
  REQUIRE_THAT(answer.error(), Catch::Contains("must not be negative"));
  REQUIRE(pool.Ctl("status", 0).status == 0);

  // Mode switches need a policy; then they go pool-wide with a new version.
  Output no_policy = pool.Ctl("mode enforce", 0);
  REQUIRE(no_policy.status == 1);
  REQUIRE_THAT(no_policy.text, Catch::Contains("no policy is active"));
  REQUIRE(pool.Ctl("policy push " SHOAL_SOURCE_DIR "/examples/policies/small.xml", 0).status == 0);
  // The pool has admin keys: a mode switch the daemon would have to sign
  // itself (an admin token, no admin key) is refused.
  Output unsigned_mode = testing::RunCommand(fmt::format("{} mode monitor --node 127.0.0.1:{} --token {}",
                                                         SHOALCTL_BINARY, pool.node(0).control, pool.admin_token()));
  REQUIRE(unsigned_mode.status == 1);
  REQUIRE_THAT(unsigned_mode.text, Catch::Contains("only policies an admin signed"));
  // A key named but missing is an error, not a silent unsigned push.
  Output missing_key = testing::RunCommand(fmt::format("{} mode monitor --node 127.0.0.1:{} --token {} --admin-key /nonexistent",
                                                       SHOALCTL_BINARY, pool.node(0).control, pool.admin_token()));
  REQUIRE(missing_key.status == 1);
  REQUIRE_THAT(missing_key.text, Catch::Contains("/nonexistent") && Catch::Contains("--generate-admin-key"));
  Output to_monitor = pool.Ctl("mode monitor", 0);
  REQUIRE(to_monitor.status == 0);
  Output after = pool.CtlUntil("status", 0, [](const Output& o) { return o.text.find("mode         monitor\n") != std::string::npos; }, 20);
  REQUIRE_THAT(after.text, Catch::Contains("mode         monitor\n"));
  Output unknown = pool.Ctl("app nosuch", 0);
  REQUIRE(unknown.status == 1);
  REQUIRE_THAT(unknown.text, Catch::Contains("no application 'nosuch'"));

  REQUIRE(pool.node(0).process.Stop() == 0);
}

TEST_CASE("control API without a tokens file refuses every request, saying how to make one") {
  testing::TestPool pool;
  std::remove(pool.tokens().c_str());
  pool.Start(0, {"--enforcer", "off"});
  Output out = pool.CtlUntil("status", 0, [](const Output& o) { return o.text.find("accepts no token") != std::string::npos; });
  REQUIRE(out.status == 1);
  REQUIRE_THAT(out.text, Catch::Contains("accepts no token") && Catch::Contains("--add-token admin"));
}
