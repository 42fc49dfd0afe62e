// Peer streams: the codec and TCP on loopback (real sockets, one
// io_context); the limits on what a peer may hold:
// tcp_streams_limits_test.cc. The simulated streams: sim_streams_test.cc.
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
#include "test/gossip/tcp_pair.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace std::chrono_literals;
using namespace shoal::gossip::testing;
namespace asio = boost::asio;


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
