// The control API's sealed mode, for connections from other hosts: the
// handshake of gossip/handshake.h with the caller's token as the shared
// secret (so the token itself never crosses the network, and each side
// proves it holds it before anything else is read), then every control
// message sealed as the frames of gossip/stream_codec.h. A plain
// connection (a 4-byte length, then the message) is accepted only from a
// loopback address; shoalctl seals whenever the daemon is not on loopback.
// A sealed connection is told from a plain one by its first bytes: the
// hello's "SHS" magic is a length no plain request may have.
// Pure byte-level helpers; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/endpoint.h"
#include "core/result.h"
#include "gossip/handshake.h"
#include "gossip/stream_codec.h"

namespace shoal::daemon {

// The shared secret of a token (its 32 bytes), and the id a hello names it by.
Result<gossip::Key> TokenSecret(const std::string& token_hex);
uint32_t TokenId(const gossip::Key& secret);

// Whether the first bytes of a connection start a sealed hello.
bool StartsSealed(std::span<const uint8_t> first_bytes);
// Whether a plain (unsealed) connection from `peer` may be served.
bool PlainAllowedFrom(const Endpoint& peer);

// One control message as sealed frames (one frame unless it is large).
std::string SealControlMessage(gossip::FrameSealer& sealer, uint64_t call_id, bool response, std::string_view bytes);

}  // namespace shoal::daemon
