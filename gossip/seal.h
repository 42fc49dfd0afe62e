// Sealing of datagrams under the pool key: XChaCha20-Poly1305 (libsodium).
// The Keyring holds several 32-byte keys so keys rotate without a restart:
// Add the new key everywhere, MakePrimary it, then Remove the old one. A
// packet names its key by a 32-bit id (a hash of the key), so any key still
// in the ring opens it.
//
// Sealed datagram layout (all integers big-endian):
//   "SH" | format 1 (1 byte) | key id (4) | sender (8) | boot (8) | seq (8)
//   | ciphertext | tag (16)
// The 24 bytes sender|boot|seq are the AEAD nonce and the whole header is
// authenticated, so they are trustworthy once Open succeeds. A nonce never
// repeats under one key while (sender, boot, seq) never repeats: boot is
// fresh per process start and seq counts up.
// Thread-compatible (no internal locking).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/node_id.h"
#include "core/result.h"

namespace shoal::gossip {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kSealHeaderBytes = 31;
inline constexpr size_t kSealOverheadBytes = kSealHeaderBytes + 16;

using Key = std::array<uint8_t, kKeyBytes>;

class Keyring {
 public:
  // Parses a key written as 64 hex digits.
  static Result<Key> ParseKey(std::string_view hex);
  static std::string FormatKey(const Key& key);
  // A fresh random key from the OS's cryptographic generator.
  static Key Generate();
  static uint32_t IdOf(const Key& key);

  // Adds a key; the first key added becomes primary. Returns its id.
  uint32_t Add(const Key& key);
  Status MakePrimary(uint32_t id);
  // Refuses to remove the primary key (make another primary first).
  Status Remove(uint32_t id);

  bool empty() const { return keys_.empty(); }
  uint32_t primary_id() const { return primary_; }
  std::vector<uint32_t> ids() const;
  const Key* Find(uint32_t id) const;

 private:
  std::map<uint32_t, Key> keys_;
  uint32_t primary_ = 0;
};

struct SealHeader {
  NodeId sender;
  uint64_t boot = 0;
  uint64_t sequence = 0;
};

struct Opened {
  SealHeader header;
  std::string plaintext;
};

enum class OpenFailure { kNone, kTruncated, kForeign, kUnknownKey, kForged };

// REQUIRES: !ring.empty().
std::string Seal(const Keyring& ring, const SealHeader& header, std::string_view plaintext);
// Fails (with the reason) on a short datagram, a bad magic or format, an
// unknown key id, or a failed authentication.
// `why`, when given, receives the kind of failure.
Result<Opened> Open(const Keyring& ring, std::span<const uint8_t> datagram,
                    OpenFailure* why = nullptr);

}  // namespace shoal::gossip
