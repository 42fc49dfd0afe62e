// The wire protocol of TCP peer streams after the handshake, without the
// sockets: the sealing of frames and their reassembly into messages. Pure byte-level code so it can be tested and fuzzed directly.
//
// A connection opens with the handshake of gossip/handshake.h (proof of
// the pool key both ways, fresh keys per direction). Each side then sends
// the 24-byte header of a libsodium secretstream (XChaCha20-Poly1305) for
// its direction, then frames: a 4-byte big-endian length, then the sealed
// frame. The secretstream orders frames, so a dropped, reordered or
// replayed frame fails to open.
// A frame's plaintext is a wire::StreamFrame; a message is the concatenated
// data of the frames of one call id up to the one marked last.
// Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sodium.h>

#include "core/node_id.h"
#include "core/result.h"
#include "gossip/handshake.h"
#include "gossip/seal.h"
#include "stream.pb.h"

namespace shoal::gossip {

inline constexpr size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
inline constexpr size_t kFrameOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;
// Data per frame; a sealed frame is at most kMaxSealedFrame bytes.
inline constexpr size_t kFrameData = 256 << 10;
inline constexpr size_t kMaxSealedFrame = kFrameData + 1024;

// Seals outgoing frames of one direction.
class FrameSealer {
 public:
  explicit FrameSealer(const Key& key);
  const std::array<uint8_t, kStreamHeaderBytes>& header() const { return header_; }
  // Length prefix and sealed frame, ready for the socket.
  std::string Seal(const wire::StreamFrame& frame);

 private:
  crypto_secretstream_xchacha20poly1305_state state_;
  std::array<uint8_t, kStreamHeaderBytes> header_{};
};

// Opens incoming frames of one direction.
class FrameOpener {
 public:
  FrameOpener(const Key& key, std::span<const uint8_t, kStreamHeaderBytes> header);
  // One sealed frame (without its length prefix). Fails if it does not
  // authenticate or does not parse.
  Result<wire::StreamFrame> Open(std::span<const uint8_t> sealed);

 private:
  crypto_secretstream_xchacha20poly1305_state state_;
  bool ok_ = false;
};

// Splits a message into frames of at most kFrameData bytes (at least one).
std::vector<wire::StreamFrame> SplitMessage(uint64_t call_id, uint32_t service, bool response,
                                            std::string_view data, std::string_view error = {});

// Reassembles the messages of one direction of a connection. Bounded: at
// most `max_open` messages in progress, each at most `max_message` bytes
// (kMaxStreamMessage for peer streams).
class MessageAssembler {
 public:
  struct Message {
    uint64_t call_id = 0;
    uint32_t service = 0;
    bool response = false;
    std::string data;
    std::string error;
  };
  explicit MessageAssembler(size_t max_open = 64, size_t max_message = 64 << 20)
      : max_open_(max_open), max_message_(max_message) {}
  // A complete message when `frame` was its last; nothing while parts are
  // missing; an error when a limit is broken (the connection should close).
  Result<std::optional<Message>> Add(wire::StreamFrame frame);

 private:
  size_t max_open_;
  size_t max_message_;
  std::map<std::pair<uint64_t, bool>, Message> open_;
};

}  // namespace shoal::gossip
