#include "gossip/admin_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/big_endian.h"

namespace shoal::gossip {
namespace {

constexpr std::string_view kLabel = "shoal admin action v1";

// What the signature covers: every field but the signature, each behind its
// length, so no two actions share a message.
std::string SignedMessage(const wire::SignedAction& a) {
  std::string m(kLabel);
  for (const std::string* part : {&a.kind(), &a.action(), &a.nonce(), &a.public_key()}) {
    AppendBigEndian(m, part->size(), 4);
    m += *part;
  }
  AppendBigEndian(m, static_cast<uint64_t>(a.issued_ms()), 8);
  return m;
}

template <size_t N>
Result<std::array<uint8_t, N>> FromHex(std::string_view hex, std::string_view what) {
  std::array<uint8_t, N> out{};
  size_t len = 0;
  if (hex.size() != 2 * N || sodium_hex2bin(out.data(), N, hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != N) {
    return MakeError("{} is {} hex digits", what, 2 * N);
  }
  return out;
}

template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& bytes) {
  std::string hex(2 * N + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), N);
  hex.pop_back();
  return hex;
}

}  // namespace

Result<std::string> WriteNewAdminKey(const std::string& path) {
  if (sodium_init() < 0) return MakeError("libsodium cannot start");
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  AdminPublicKey pub{};
  crypto_sign_keypair(pub.data(), secret.data());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return MakeError("cannot create {}: {}", path, std::strerror(errno));
  const std::string text = "# shoal admin secret key: keep it with the admins, not on the servers\n" + ToHex(secret) + "\n";
  sodium_memzero(secret.data(), secret.size());
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return MakeError("cannot write {}: {}", path, std::strerror(errno));
  return ToHex(pub);
}

Result<AdminSigner> AdminSigner::Load(const std::string& path) {
  if (sodium_init() < 0) return MakeError("libsodium cannot start");
  std::ifstream in(path);
  if (!in) return MakeError("admin key {}: {}", path, std::strerror(errno));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto secret = FromHex<crypto_sign_SECRETKEYBYTES>(line, "an admin secret key");
    if (!secret.ok()) return MakeError("admin key {}: {}", path, secret.error().message);
    AdminSigner s;
    s.secret_ = *secret;
    crypto_sign_ed25519_sk_to_pk(s.public_key_.data(), s.secret_.data());
    sodium_memzero(secret->data(), secret->size());
    return s;
  }
  return MakeError("admin key {}: no key in it (make one with: shoald --generate-admin-key FILE)", path);
}

AdminSigner::~AdminSigner() { sodium_memzero(secret_.data(), secret_.size()); }

AdminSigner::AdminSigner(AdminSigner&& o) noexcept : secret_(o.secret_), public_key_(o.public_key_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}

std::string AdminSigner::Sign(std::string_view kind, std::string_view action, int64_t now_ms) const {
  wire::SignedAction a;
  a.set_kind(std::string(kind));
  a.set_action(std::string(action));
  a.set_issued_ms(now_ms);
  std::array<uint8_t, 16> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  a.set_nonce(std::string(nonce.begin(), nonce.end()));
  a.set_public_key(std::string(public_key_.begin(), public_key_.end()));
  const std::string m = SignedMessage(a);
  std::array<uint8_t, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(m.data()), m.size(), secret_.data());
  a.set_signature(std::string(sig.begin(), sig.end()));
  return a.SerializeAsString();
}

AdminVerifier::AdminVerifier(std::vector<AdminPublicKey> keys, std::function<int64_t()> wall_ms, Duration window)
    : keys_(keys.begin(), keys.end()), wall_ms_(std::move(wall_ms)), window_(window) {}

Result<std::vector<AdminPublicKey>> AdminVerifier::LoadKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError("admin keys file {}: {}", path, std::strerror(errno));
  std::vector<AdminPublicKey> keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string hex;
    if (!(words >> hex) || hex[0] == '#') continue;
    auto key = FromHex<crypto_sign_PUBLICKEYBYTES>(hex, "an admin public key");
    if (!key.ok()) return MakeError("{}:{}: {}", path, number, key.error().message);
    keys.push_back(*key);
  }
  return keys;
}

Result<wire::SignedAction> AdminVerifier::Check(std::string_view signed_bytes, std::string_view kind) {
  if (signed_bytes.empty()) {
    ++counters_.unsigned_;
    return MakeError("this {} is not signed by an admin key (shoalctl --admin-key)", kind);
  }
  wire::SignedAction a;
  if (signed_bytes.size() > kMaxSigned || !a.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size())) ||
      a.signature().empty()) {
    ++counters_.bad;
    return MakeError("this {} is not signed by an admin key, or its signature is malformed (shoalctl --admin-key)",
                     kind);
  }
  if (a.kind() != kind) {
    ++counters_.bad;
    return MakeError("a signed '{}' offered as a {}", a.kind(), kind);
  }
  AdminPublicKey key{};
  if (a.public_key().size() != key.size() || a.signature().size() != crypto_sign_BYTES) {
    ++counters_.bad;
    return MakeError("a malformed signed {}", kind);
  }
  std::copy(a.public_key().begin(), a.public_key().end(), key.begin());
  if (!keys_.contains(key)) {
    ++counters_.bad;
    return MakeError("the {} is signed by a key this node does not trust ({})", kind, ToHex(key).substr(0, 16));
  }
  const std::string m = SignedMessage(a);
  if (crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(a.signature().data()),
                                  reinterpret_cast<const uint8_t*>(m.data()), m.size(), key.data()) != 0) {
    ++counters_.bad;
    return MakeError("the signature of the {} does not verify", kind);
  }
  return a;
}

Result<std::string> AdminVerifier::TakeOnce(std::string_view signed_bytes, std::string_view kind) {
  auto a = Check(signed_bytes, kind);
  if (!a.ok()) return a.error();
  const int64_t now = wall_ms_();
  const int64_t window = std::chrono::duration_cast<std::chrono::milliseconds>(window_).count();
  if (a->issued_ms() < now - window || a->issued_ms() > now + window) {
    ++counters_.stale;
    return MakeError("the {} was signed {} s from this node's clock, outside the {} s window (a replay, or a "
                     "clock that is off)",
                     kind, (a->issued_ms() - now) / 1000, window / 1000);
  }
  std::erase_if(seen_, [&](const auto& kv) { return kv.second < now; });
  const std::string id = a->public_key() + a->nonce();
  if (seen_.contains(id)) {
    ++counters_.replayed;
    return MakeError("this signed {} was already taken once: a replay", kind);
  }
  if (seen_.size() >= kMaxRemembered) {
    ++counters_.replayed;
    return MakeError("too many signed actions in the window; try again later");
  }
  seen_.emplace(id, a->issued_ms() + window);
  ++counters_.accepted;
  return a->action();
}

Result<wire::SignedAction> AdminVerifier::CheckDocument(std::string_view signed_bytes, std::string_view kind) {
  auto a = Check(signed_bytes, kind);
  if (a.ok()) ++counters_.accepted;
  return a;
}

}  // namespace shoal::gossip
