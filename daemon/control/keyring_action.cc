#include "daemon/control/keyring_action.h"

#include <sodium.h>

#include <fmt/format.h>

namespace shoal::daemon::control {

std::string KeyringActionText(const KeyringChange& change) {
  if (change.action() != "install") return fmt::format("{} {:08x}", change.action(), change.key_id());
  uint8_t digest[32];
  static constexpr char kDomain[] = "shoal keyring install v1";
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const uint8_t*>(change.key().data()), change.key().size(),
                     reinterpret_cast<const uint8_t*>(kDomain), sizeof kDomain - 1);
  std::string hex;
  for (uint8_t b : digest) hex += fmt::format("{:02x}", b);
  return fmt::format("install {:08x} {}", change.key_id(), hex);
}

}  // namespace shoal::daemon::control
