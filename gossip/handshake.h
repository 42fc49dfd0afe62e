// The handshake that opens a sealed stream (peer streams, and the control
// API when it listens beyond loopback): both sides prove they hold a shared
// 32-byte secret (the pool key, or a control token) before either holds any
// state past a deadline, and agree on fresh keys with forward secrecy.
// Pure byte-level code so it can be tested and fuzzed directly.
//
//   1. Client -> server: hello, 48 bytes: "SHS" | version 2 | secret id (4)
//      | node id (8) | ephemeral X25519 public key (32), integers
//      big-endian. The secret id names the secret the client uses.
//   2. Server -> client: its own hello (same secret id, its own ephemeral
//      key) and a 32-byte proof: BLAKE2b keyed with the secret over a label
//      and both hellos. The client checks the proof before anything else.
//   3. Client -> server: its proof (another label, the same hellos). The
//      server checks it before it reads anything more.
// Each direction's key is BLAKE2b keyed with the secret over a label, the
// X25519 session key of that direction (libsodium crypto_kx) and both
// hellos: only holders of the secret can derive it, and since the ephemeral
// secret keys are wiped once the keys are derived, a later leak of the
// shared secret does not open a recorded stream. A proof names its
// direction, so one cannot be reflected back.
// Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include <sodium.h>

#include "core/node_id.h"
#include "core/result.h"
#include "gossip/seal.h"

namespace shoal::gossip {

inline constexpr size_t kHelloBytes = 48;
inline constexpr size_t kProofBytes = 32;
inline constexpr uint8_t kHandshakeVersion = 2;
// The oldest handshake a server still answers. Version 2 is the first of
// the range: a change to the handshake raises kHandshakeVersion, keeps this
// at the previous one for a release, and answers a client in its version,
// so that a pool upgrades one node at a time (as gossip/packet.h's
// protocol range does for the exchange).
inline constexpr uint8_t kMinHandshakeVersion = 2;

struct StreamHello {
  uint32_t key_id = 0;
  NodeId node;
  std::array<uint8_t, crypto_kx_PUBLICKEYBYTES> ephemeral{};

  std::array<uint8_t, kHelloBytes> Encode() const;
  static Result<StreamHello> Decode(std::span<const uint8_t> bytes);
};

struct SessionKeys {
  Key send{};
  Key receive{};
};

using Proof = std::array<uint8_t, kProofBytes>;

// One side of one handshake: a fresh ephemeral key pair and its hello. The
// secret half is wiped when this object goes.
class HandshakeSide {
 public:
  HandshakeSide(uint32_t key_id, NodeId node);
  ~HandshakeSide();
  HandshakeSide(const HandshakeSide&) = delete;
  HandshakeSide& operator=(const HandshakeSide&) = delete;

  const StreamHello& hello() const { return hello_; }
  // This side's proof of holding `secret`; `client` says which side this is.
  Proof Prove(const Key& secret, const StreamHello& peer, bool client) const;
  // Whether `proof` from the peer shows it holds `secret`.
  bool Check(const Key& secret, const StreamHello& peer, bool client, const Proof& proof) const;
  // The keys of both directions. Fails when the peer's ephemeral key is not
  // a usable X25519 point.
  Result<SessionKeys> Keys(const Key& secret, const StreamHello& peer, bool client) const;

 private:
  StreamHello hello_;
  std::array<uint8_t, crypto_kx_SECRETKEYBYTES> secret_key_{};
};

}  // namespace shoal::gossip
