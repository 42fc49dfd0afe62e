// Helpers of the TCP peer-stream tests (peer_streams_test.cc,
// tcp_streams_limits_test.cc): a server and a client on loopback sharing
// one io_context, and a raw client's side of the handshake.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "gossip/handshake.h"
#include "gossip/net/tcp_streams.h"
#include "gossip/stream_codec.h"

namespace shoal::gossip::testing {
namespace asio = boost::asio;
using namespace std::chrono_literals;

inline Keyring RingOf(const Key& key) {
  Keyring r;
  r.Add(key);
  return r;
}

inline Key FixedKey(uint8_t fill) {
  Key k;
  k.fill(fill);
  return k;
}

inline const Endpoint kLoopback{0x7f000001, 0};

// Runs the io_context until `done` or a real-time deadline.
inline void RunUntil(asio::io_context& io, const std::function<bool()>& done, Duration limit = 10s) {
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
inline FrameSealer RawHandshake(asio::ip::tcp::socket& s, const Key& key) {
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


}  // namespace shoal::gossip::testing
