#include "gossip/seal.h"

#include <cassert>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "core/big_endian.h"

namespace shoal::gossip {
namespace {

constexpr uint8_t kFormat = 1;
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == 16);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyBytes);

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no usable crypto: nothing safe to do
}

}  // namespace

Result<Key> Keyring::ParseKey(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ' || hex.back() == '\r')) {
    hex.remove_suffix(1);
  }
  Key key{};
  size_t len = 0;
  if (hex.size() != 2 * kKeyBytes ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != kKeyBytes) {
    return MakeError("a pool key is {} hex digits; got {} characters that are not one",
                     2 * kKeyBytes, hex.size());
  }
  return key;
}

std::string Keyring::FormatKey(const Key& key) {
  std::string hex(2 * kKeyBytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  hex.pop_back();
  return hex;
}

Key Keyring::Generate() {
  EnsureSodium();
  Key key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  return key;
}

uint32_t Keyring::IdOf(const Key& key) {
  EnsureSodium();
  uint8_t h[16];
  static constexpr char kDomain[] = "shoal key id v1";
  crypto_generichash(h, sizeof h, key.data(), key.size(),
                     reinterpret_cast<const uint8_t*>(kDomain), sizeof kDomain - 1);
  return static_cast<uint32_t>(GetBigEndian(h, 4));
}

uint32_t Keyring::Add(const Key& key) {
  const uint32_t id = IdOf(key);
  keys_[id] = key;
  if (keys_.size() == 1) primary_ = id;
  return id;
}

Status Keyring::MakePrimary(uint32_t id) {
  if (!keys_.contains(id)) return MakeError("key {:08x} is not in the keyring", id);
  primary_ = id;
  return Status::Ok();
}

Status Keyring::Remove(uint32_t id) {
  if (!keys_.contains(id)) return MakeError("key {:08x} is not in the keyring", id);
  if (id == primary_) {
    return MakeError("key {:08x} is the primary key; make another key primary first", id);
  }
  sodium_memzero(keys_[id].data(), kKeyBytes);
  keys_.erase(id);
  return Status::Ok();
}

std::vector<uint32_t> Keyring::ids() const {
  std::vector<uint32_t> out;
  for (const auto& [id, k] : keys_) out.push_back(id);
  return out;
}

const Key* Keyring::Find(uint32_t id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string Seal(const Keyring& ring, const SealHeader& header, std::string_view plaintext) {
  EnsureSodium();
  const Key* key = ring.Find(ring.primary_id());
  assert(key != nullptr);
  std::string out(kSealOverheadBytes + plaintext.size(), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = 'S';
  p[1] = 'H';
  p[2] = kFormat;
  PutBigEndian(p + 3, ring.primary_id(), 4);
  PutBigEndian(p + 7, header.sender.value, 8);
  PutBigEndian(p + 15, header.boot, 8);
  PutBigEndian(p + 23, header.sequence, 8);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      p + kSealHeaderBytes, &clen, reinterpret_cast<const uint8_t*>(plaintext.data()),
      plaintext.size(), p, kSealHeaderBytes, nullptr, p + 7, key->data());
  assert(clen == plaintext.size() + 16);
  return out;
}

Result<Opened> Open(const Keyring& ring, std::span<const uint8_t> datagram, OpenFailure* why) {
  EnsureSodium();
  OpenFailure ignored;
  OpenFailure& failure = why != nullptr ? *why : ignored;
  failure = OpenFailure::kTruncated;
  if (datagram.size() < kSealOverheadBytes) {
    return MakeError("truncated: {} bytes, a sealed packet has at least {}", datagram.size(),
                     kSealOverheadBytes);
  }
  const uint8_t* p = datagram.data();
  failure = OpenFailure::kForeign;
  if (p[0] != 'S' || p[1] != 'H' || p[2] != kFormat) {
    return MakeError("not a Shoal packet (bad magic or format byte)");
  }
  const auto key_id = static_cast<uint32_t>(GetBigEndian(p + 3, 4));
  const Key* key = ring.Find(key_id);
  failure = OpenFailure::kUnknownKey;
  if (key == nullptr) return MakeError("sealed with unknown key {:08x}", key_id);
  failure = OpenFailure::kForged;
  Opened out;
  out.plaintext.resize(datagram.size() - kSealOverheadBytes);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(out.plaintext.data()), &mlen, nullptr, p + kSealHeaderBytes,
          datagram.size() - kSealHeaderBytes, p, kSealHeaderBytes, p + 7, key->data()) != 0) {
    return MakeError("authentication failed under key {:08x}", key_id);
  }
  failure = OpenFailure::kNone;
  out.header.sender = NodeId{GetBigEndian(p + 7, 8)};
  out.header.boot = GetBigEndian(p + 15, 8);
  out.header.sequence = GetBigEndian(p + 23, 8);
  return out;
}

}  // namespace shoal::gossip
