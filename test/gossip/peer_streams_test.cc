// Peer streams: the codec and TCP on loopback (real sockets, one
// io_context). The simulated streams: sim_streams_test.cc.
#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "gossip/stream_codec.h"
#include "gossip/net/tcp_streams.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

Keyring RingOf(const Key& key) {
  Keyring r;
  r.Add(key);
  return r;
}

Key FixedKey(uint8_t fill) {
  Key k;
  k.fill(fill);
  return k;
}

const Endpoint kLoopback{0x7f000001, 0};

// Runs the io_context until `done` or a real-time deadline.
void RunUntil(asio::io_context& io, const std::function<bool()>& done, Duration limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(5));
    io.restart();
  }
}

struct TcpPair {
  asio::io_context io;
  Keyring server_ring = RingOf(FixedKey(1));
  Keyring client_ring = RingOf(FixedKey(1));
  std::unique_ptr<TcpStreams> server, client;

  explicit TcpPair(TcpStreams::Options options = {}) {
    auto s = TcpStreams::Open(io, kLoopback, server_ring, NodeId{11}, options);
    REQUIRE(s.ok());
    server = std::move(*s);
    auto c = TcpStreams::Open(io, kLoopback, client_ring, NodeId{22}, options);
    REQUIRE(c.ok());
    client = std::move(*c);
    server->Serve(StreamService::kEcho, [](const StreamPeer&, std::string req, PeerStreams::Respond r) {
      r(std::move(req));
    });
  }

  Result<std::string> Call(std::string request, Duration timeout = 5s,
                           StreamService service = StreamService::kEcho) {
    std::optional<Result<std::string>> out;
    client->Call(server->local_endpoint(), service, std::move(request), timeout,
                 [&](Result<std::string> r) { out = std::move(r); });
    RunUntil(io, [&] { return out.has_value(); });
    REQUIRE(out.has_value());
    return std::move(*out);
  }
};

// A client's side of the handshake on a blocking socket; the sealer of its
// direction, its header already sent.
FrameSealer RawHandshake(asio::ip::tcp::socket& s, const Key& key) {
  HandshakeSide mine(Keyring::IdOf(key), NodeId{99});
  auto hello = mine.hello().Encode();
  asio::write(s, asio::buffer(hello));
  std::array<uint8_t, kHelloBytes + kProofBytes + kStreamHeaderBytes> theirs;
  asio::read(s, asio::buffer(theirs));
  StreamHello server = *StreamHello::Decode(std::span<const uint8_t>(theirs).first(kHelloBytes));
  FrameSealer sealer(mine.Keys(key, server, true)->send);
  const Proof proof = mine.Prove(key, server, true);
  asio::write(s, asio::buffer(proof));
  asio::write(s, asio::buffer(sealer.header()));
  return sealer;
}

}  // namespace

TEST_CASE("Stream handshake: hello round trip and refusal of foreign bytes") {
  HandshakeSide side(0xabcd0123, NodeId{77});
  auto bytes = side.hello().Encode();
  auto back = StreamHello::Decode(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->key_id == 0xabcd0123);
  REQUIRE(back->node == NodeId{77});
  REQUIRE(back->ephemeral == side.hello().ephemeral);
  bytes[0] = 'X';
  REQUIRE_THAT(StreamHello::Decode(bytes).error().message, Catch::Contains("not a Shoal sealed stream"));
  bytes[0] = 'S';
  bytes[3] = 1;  // the keyless handshake of before
  REQUIRE_THAT(StreamHello::Decode(bytes).error().message, Catch::Contains("version 1"));
  REQUIRE_FALSE(StreamHello::Decode(std::span<const uint8_t>(bytes.data(), 10)).ok());
}

TEST_CASE("Stream handshake: proofs hold only under the key, one way each, and the keys are fresh") {
  Key pool = FixedKey(3);
  HandshakeSide client(1, NodeId{1}), server(1, NodeId{2});
  const StreamHello& c = client.hello();
  const StreamHello& s = server.hello();
  REQUIRE(client.Check(pool, s, true, server.Prove(pool, c, false)));
  REQUIRE(server.Check(pool, c, false, client.Prove(pool, s, true)));
  // Without the key, or reflected back to its maker, a proof fails.
  REQUIRE_FALSE(client.Check(pool, s, true, server.Prove(FixedKey(4), c, false)));
  REQUIRE_FALSE(server.Check(pool, c, false, server.Prove(pool, c, false)));
  Proof random{};
  randombytes_buf(random.data(), random.size());
  REQUIRE_FALSE(server.Check(pool, c, false, random));

  SessionKeys ck = *client.Keys(pool, s, true);
  SessionKeys sk = *server.Keys(pool, c, false);
  REQUIRE(ck.send == sk.receive);
  REQUIRE(ck.receive == sk.send);
  REQUIRE(ck.send != ck.receive);
  // Another handshake under the same pool key gives other keys: the
  // ephemeral halves, not the pool key alone, make them.
  HandshakeSide client2(1, NodeId{1}), server2(1, NodeId{2});
  REQUIRE(client2.Keys(pool, server2.hello(), true)->send != ck.send);
  // An all-zero ephemeral key (a low-order point) is refused.
  StreamHello bad = s;
  bad.ephemeral.fill(0);
  REQUIRE_FALSE(client.Keys(pool, bad, true).ok());
}

TEST_CASE("Stream codec: sealed frames open in order only, under the right key") {
  Key pool = FixedKey(3);
  HandshakeSide c(1, NodeId{1}), s(1, NodeId{2});
  SessionKeys ck = *c.Keys(pool, s.hello(), true);
  SessionKeys sk = *s.Keys(pool, c.hello(), false);

  FrameSealer sealer(ck.send);
  FrameOpener opener(sk.receive, sealer.header());
  auto frames = SplitMessage(5, 1, false, std::string(600'000, 'x'));
  REQUIRE(frames.size() == 3);  // 256 KiB frames
  std::vector<std::string> wire;
  for (auto& f : frames) wire.push_back(sealer.Seal(f));
  MessageAssembler assembler;
  for (size_t i = 0; i < wire.size(); ++i) {
    auto body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(wire[i].data()) + 4, wire[i].size() - 4);
    auto f = opener.Open(body);
    REQUIRE(f.ok());
    auto m = assembler.Add(std::move(*f));
    REQUIRE(m.ok());
    REQUIRE(m->has_value() == (i + 1 == wire.size()));
    if (m->has_value()) REQUIRE((*m)->data == std::string(600'000, 'x'));
  }

  // Out of order, or under another key, nothing opens.
  FrameSealer sealer2(ck.send);
  FrameOpener opener2(sk.receive, sealer2.header());
  std::string first = sealer2.Seal(frames[0]), second = sealer2.Seal(frames[1]);
  auto body = [](const std::string& w) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(w.data()) + 4, w.size() - 4);
  };
  REQUIRE_THAT(opener2.Open(body(second)).error().message, Catch::Contains("does not authenticate"));
  FrameOpener stranger(s.Keys(FixedKey(4), c.hello(), false)->receive, sealer2.header());
  REQUIRE_FALSE(stranger.Open(body(first)).ok());
}

TEST_CASE("Stream codec: the assembler bounds messages in progress and their size") {
  MessageAssembler assembler(2);
  auto part = [](uint64_t id) {
    wire::StreamFrame f;
    f.set_call_id(id);
    f.set_data("abc");
    return f;
  };
  REQUIRE(assembler.Add(part(1)).ok());
  REQUIRE(assembler.Add(part(2)).ok());
  REQUIRE_THAT(assembler.Add(part(3)).error().message, Catch::Contains("more than 2 messages"));
  MessageAssembler big;
  wire::StreamFrame f;
  f.set_call_id(9);
  f.set_data(std::string(kFrameData, 'z'));
  bool refused = false;
  for (size_t i = 0; i <= kMaxStreamMessage / kFrameData && !refused; ++i) refused = !big.Add(f).ok();
  REQUIRE(refused);
}

TEST_CASE("TCP streams: calls, large messages, concurrency and the caller's id") {
  TcpPair p;
  NodeId seen;
  p.server->Serve(StreamService::kPolicyFetch, [&](const StreamPeer& from, std::string req, PeerStreams::Respond r) {
    seen = from.id;
    r("policy:" + req);
  });
  auto hello = p.Call("hello");
  REQUIRE(hello.ok());
  REQUIRE(*hello == "hello");
  auto policy = p.Call("v7", 5s, StreamService::kPolicyFetch);
  REQUIRE(*policy == "policy:v7");
  REQUIRE(seen == NodeId{22});

  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  auto echoed = p.Call(big);
  REQUIRE(echoed.ok());
  REQUIRE(*echoed == big);

  // 100 calls at once on one connection; the server answers in reverse order.
  std::vector<std::pair<uint64_t, PeerStreams::Respond>> held;
  p.server->Serve(StreamService::kHistory, [&](const StreamPeer&, std::string req, PeerStreams::Respond r) {
    held.emplace_back(std::stoull(req), std::move(r));
    if (held.size() == 100) {
      for (auto it = held.rbegin(); it != held.rend(); ++it) it->second(std::to_string(it->first * 2));
    }
  });
  std::map<int, std::string> answers;
  for (int i = 0; i < 100; ++i) {
    p.client->Call(p.server->local_endpoint(), StreamService::kHistory, std::to_string(i), 5s,
                   [&answers, i](Result<std::string> a) { answers[i] = a.ok() ? *a : "error"; });
  }
  RunUntil(p.io, [&] { return answers.size() == 100; });
  REQUIRE(answers.size() == 100);
  for (int i = 0; i < 100; ++i) REQUIRE(answers[i] == std::to_string(i * 2));
  REQUIRE(p.client->counters().call_failures == 0);
  REQUIRE(p.server->counters().accepted == 1);  // one connection carried everything
}

TEST_CASE("TCP streams: errors name the peer and the cause") {
  TcpPair p;
  auto unknown = p.Call("x", 5s, StreamService::kPolicyFetch);
  REQUIRE_THAT(unknown.error().message, Catch::Contains("no service 2 here"));
  REQUIRE_THAT(unknown.error().message, Catch::Contains(p.server->local_endpoint().ToString()));

  p.server->Serve(StreamService::kHistory, [](const StreamPeer&, std::string, PeerStreams::Respond r) {
    r(MakeError("range 4-9 is not held here"));
  });
  REQUIRE_THAT(p.Call("x", 5s, StreamService::kHistory).error().message,
               Catch::Contains("answered: range 4-9 is not held here"));

  PeerStreams::Respond parked;
  p.server->Serve(StreamService::kPolicyFetch, [&](const StreamPeer&, std::string, PeerStreams::Respond r) {
    parked = std::move(r);  // never answered in time
  });
  REQUIRE_THAT(p.Call("x", 200ms, StreamService::kPolicyFetch).error().message,
               Catch::Contains("no answer within 200 ms"));
  parked(std::string("late"));  // a late answer is dropped, not delivered twice
  p.io.run_for(50ms);

  // Nobody listening there.
  std::optional<Result<std::string>> out;
  Endpoint closed = p.server->local_endpoint();
  p.server.reset();
  p.client->Call(closed, StreamService::kEcho, "x", 5s, [&](Result<std::string> r) { out = std::move(r); });
  RunUntil(p.io, [&] { return out.has_value(); });
  REQUIRE(out.has_value());
  REQUIRE_FALSE(out->ok());
  REQUIRE_THAT(out->error().message, Catch::Contains(closed.ToString()));
  REQUIRE(p.client->counters().call_failures >= 4);
}

TEST_CASE("TCP streams: a connection silent through a call's whole timeout is retired, a busy one is kept") {
  TcpPair p;
  std::vector<PeerStreams::Respond> parked;  // answered only at the end
  p.server->Serve(StreamService::kPolicyFetch, [&](const StreamPeer&, std::string, PeerStreams::Respond r) {
    parked.push_back(std::move(r));
  });
  REQUIRE(p.Call("warm").ok());
  REQUIRE(p.server->counters().accepted == 1);

  // Other calls are answered while the parked one waits: the connection is alive, it stays.
  std::optional<Result<std::string>> slow;
  p.client->Call(p.server->local_endpoint(), StreamService::kPolicyFetch, "x", 300ms,
                 [&](Result<std::string> r) { slow = std::move(r); });
  while (!slow) REQUIRE(p.Call("meanwhile", 1s).ok());
  REQUIRE_THAT(slow->error().message, Catch::Contains("no answer within 300 ms"));
  REQUIRE(p.client->counters().retired == 0);
  REQUIRE(p.Call("again").ok());
  REQUIRE(p.server->counters().accepted == 1);

  // Nothing at all comes back while a call waits: the next call takes a new connection.
  REQUIRE_FALSE(p.Call("x", 200ms, StreamService::kPolicyFetch).ok());
  REQUIRE(p.client->counters().retired == 1);
  auto after = p.Call("after");
  REQUIRE(after.ok());
  REQUIRE(*after == "after");
  REQUIRE(p.server->counters().accepted == 2);
  for (auto& r : parked) r(std::string("late"));  // answers to gone callers are dropped
  p.io.run_for(50ms);
}

TEST_CASE("TCP streams: a caller without the pool key is refused, a rotated key works") {
  TcpPair p;
  p.client_ring = RingOf(FixedKey(2));
  auto refused = p.Call("secret");
  REQUIRE_FALSE(refused.ok());
  REQUIRE_THAT(refused.error().message, Catch::Contains("pool key"));
  REQUIRE(p.server->counters().auth_failures == 1);
  REQUIRE(p.server->counters().served == 0);

  // The server holds the old and the new key; a caller with only the new one gets in.
  p.server_ring.Add(FixedKey(2));
  auto ok = p.Call("rotated");
  REQUIRE(ok.ok());
  REQUIRE(*ok == "rotated");
}

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
