#include "gossip/handshake.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/big_endian.h"

namespace shoal::gossip {
namespace {

constexpr uint8_t kHelloMagic[3] = {'S', 'H', 'S'};

// BLAKE2b keyed with `secret` over a label, `middle` and both hellos in
// client-then-server order.
Key Mix(const Key& secret, std::string_view label, std::span<const uint8_t> middle, const StreamHello& client,
        const StreamHello& server) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, secret.data(), secret.size(), kKeyBytes);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(label.data()), label.size());
  crypto_generichash_update(&st, middle.data(), middle.size());
  auto c = client.Encode();
  auto s = server.Encode();
  crypto_generichash_update(&st, c.data(), c.size());
  crypto_generichash_update(&st, s.data(), s.size());
  Key out;
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

}  // namespace

std::array<uint8_t, kHelloBytes> StreamHello::Encode() const {
  std::array<uint8_t, kHelloBytes> out{};
  std::memcpy(out.data(), kHelloMagic, 3);
  out[3] = kHandshakeVersion;
  PutBigEndian(out.data() + 4, key_id, 4);
  PutBigEndian(out.data() + 8, node.value, 8);
  std::memcpy(out.data() + 16, ephemeral.data(), ephemeral.size());
  return out;
}

Result<StreamHello> StreamHello::Decode(std::span<const uint8_t> bytes) {
  if (bytes.size() != kHelloBytes) return MakeError("hello of {} bytes, expected {}", bytes.size(), kHelloBytes);
  if (std::memcmp(bytes.data(), kHelloMagic, 3) != 0) return MakeError("not a Shoal sealed stream");
  if (bytes[3] < kMinHandshakeVersion || bytes[3] > kHandshakeVersion) {
    return MakeError("sealed stream version {}, this node speaks {} to {}", bytes[3], kMinHandshakeVersion,
                     kHandshakeVersion);
  }
  StreamHello h;
  h.key_id = static_cast<uint32_t>(GetBigEndian(bytes.data() + 4, 4));
  h.node = NodeId{GetBigEndian(bytes.data() + 8, 8)};
  std::memcpy(h.ephemeral.data(), bytes.data() + 16, h.ephemeral.size());
  return h;
}

HandshakeSide::HandshakeSide(uint32_t key_id, NodeId node) {
  if (sodium_init() < 0) std::abort();  // idempotent; only fails without entropy
  hello_.key_id = key_id;
  hello_.node = node;
  crypto_kx_keypair(hello_.ephemeral.data(), secret_key_.data());
}

HandshakeSide::~HandshakeSide() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

Proof HandshakeSide::Prove(const Key& secret, const StreamHello& peer, bool client) const {
  const StreamHello& c = client ? hello_ : peer;
  const StreamHello& s = client ? peer : hello_;
  return Mix(secret, client ? "shoal handshake client proof" : "shoal handshake server proof", {}, c, s);
}

bool HandshakeSide::Check(const Key& secret, const StreamHello& peer, bool client, const Proof& proof) const {
  const StreamHello& c = client ? hello_ : peer;
  const StreamHello& s = client ? peer : hello_;
  const Proof expected =
      Mix(secret, client ? "shoal handshake server proof" : "shoal handshake client proof", {}, c, s);
  return sodium_memcmp(expected.data(), proof.data(), proof.size()) == 0;
}

Result<SessionKeys> HandshakeSide::Keys(const Key& secret, const StreamHello& peer, bool client) const {
  std::array<uint8_t, crypto_kx_SESSIONKEYBYTES> rx{}, tx{};
  const int rc = client ? crypto_kx_client_session_keys(rx.data(), tx.data(), hello_.ephemeral.data(),
                                                        secret_key_.data(), peer.ephemeral.data())
                        : crypto_kx_server_session_keys(rx.data(), tx.data(), hello_.ephemeral.data(),
                                                        secret_key_.data(), peer.ephemeral.data());
  if (rc != 0) return MakeError("the peer's ephemeral key is not usable");
  const StreamHello& c = client ? hello_ : peer;
  const StreamHello& s = client ? peer : hello_;
  // tx of the client is rx of the server: the client-to-server direction.
  const auto& c2s = client ? tx : rx;
  const auto& s2c = client ? rx : tx;
  Key up = Mix(secret, "shoal stream client to server", c2s, c, s);
  Key down = Mix(secret, "shoal stream server to client", s2c, c, s);
  sodium_memzero(rx.data(), rx.size());
  sodium_memzero(tx.data(), tx.size());
  return client ? SessionKeys{up, down} : SessionKeys{down, up};
}

}  // namespace shoal::gossip
