#include "daemon/control/seal.h"

#include <cstring>

namespace shoal::daemon {

Result<gossip::Key> TokenSecret(const std::string& token_hex) {
  auto key = gossip::Keyring::ParseKey(token_hex);
  if (!key.ok()) return MakeError("a token is 64 hex digits");
  return *key;
}

uint32_t TokenId(const gossip::Key& secret) { return gossip::Keyring::IdOf(secret); }

bool StartsSealed(std::span<const uint8_t> first) {
  return first.size() >= 3 && std::memcmp(first.data(), "SHS", 3) == 0;
}

bool PlainAllowedFrom(const Endpoint& peer) { return (peer.ip >> 24) == 127; }

std::string SealControlMessage(gossip::FrameSealer& sealer, uint64_t call_id, bool response, std::string_view bytes) {
  std::string out;
  for (const auto& f : gossip::SplitMessage(call_id, 0, response, bytes)) out += sealer.Seal(f);
  return out;
}

}  // namespace shoal::daemon
