// Admin actions that travel between nodes (history deletion and archiving,
// policy pushes and mode switches) are signed by an admin's Ed25519 key
// (libsodium), not merely carried under the pool key: a holder of the pool
// key alone can gossip, but cannot delete, archive, push or switch modes.
// shoalctl signs with the admin's secret key (AdminSigner); every node
// checks with the public keys its own configuration trusts (AdminVerifier).
//
// Replay: a one-shot action (a deletion, an archive) must be issued within
// `window` of the checking node's clock, and each (key, nonce) is taken at
// most once in that time. A policy document is checked without the window
// (a node that was down catches up on it later); the policy distribution
// orders documents by the signed issue time instead (policy/distribution.h).
// Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sodium.h>

#include "core/clock.h"
#include "core/result.h"
#include "admin.pb.h"

namespace shoal::gossip {

using AdminPublicKey = std::array<uint8_t, crypto_sign_PUBLICKEYBYTES>;

// Writes a new admin key pair: the secret key to `path` (mode 0600, never
// overwritten); returns the public key in hex, for every node's
// admin keys file.
Result<std::string> WriteNewAdminKey(const std::string& path);

class AdminSigner {
 public:
  // Reads a secret key file written by WriteNewAdminKey; errors name it.
  static Result<AdminSigner> Load(const std::string& path);
  ~AdminSigner();
  AdminSigner(AdminSigner&& o) noexcept;
  AdminSigner(const AdminSigner&) = delete;
  AdminSigner& operator=(const AdminSigner&) = delete;

  // A serialized wire::SignedAction.
  std::string Sign(std::string_view kind, std::string_view action, int64_t now_ms) const;
  const AdminPublicKey& public_key() const { return public_key_; }

 private:
  AdminSigner() = default;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret_{};
  AdminPublicKey public_key_{};
};

struct AdminCounters {
  uint64_t accepted = 0;
  uint64_t unsigned_ = 0;      // no signature where one is needed
  uint64_t bad = 0;            // malformed, wrong kind, unknown key, bad signature
  uint64_t stale = 0;          // outside the window
  uint64_t replayed = 0;
};

class AdminVerifier {
 public:
  static constexpr size_t kMaxSigned = 8 << 20;
  static constexpr size_t kMaxRemembered = 1 << 16;

  // `keys`: the trusted public keys. `wall_ms`: the checking node's clock.
  AdminVerifier(std::vector<AdminPublicKey> keys, std::function<int64_t()> wall_ms,
                Duration window = std::chrono::minutes(5));
  // Parses an admin keys file: one public key (64 hex digits) per line, an
  // optional comment after it; '#' lines and blank lines ignored. Errors
  // name the file and line.
  static Result<std::vector<AdminPublicKey>> LoadKeys(const std::string& path);

  // A one-shot action of `kind`: its action bytes once the signature, the
  // key, the window and the nonce check; otherwise why not.
  Result<std::string> TakeOnce(std::string_view signed_bytes, std::string_view kind);
  // A document of `kind`, without the window or nonce: its action bytes
  // and issue time.
  Result<wire::SignedAction> CheckDocument(std::string_view signed_bytes, std::string_view kind);
  size_t keys() const { return keys_.size(); }
  const AdminCounters& counters() const { return counters_; }

 private:
  Result<wire::SignedAction> Check(std::string_view signed_bytes, std::string_view kind);

  std::set<AdminPublicKey> keys_;
  std::function<int64_t()> wall_ms_;
  Duration window_;
  std::map<std::string, int64_t> seen_;  // key and nonce -> until (ms)
  AdminCounters counters_;
};

}  // namespace shoal::gossip
