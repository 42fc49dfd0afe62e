// What an admin signs for a keyring change, the same text in shoalctl and
// on every node that checks it: "install ID DIGEST" (DIGEST: a BLAKE2b hash
// of the key, so a signature for one key cannot install another with the
// same 32-bit id), "use ID", "remove ID". Free functions.
#pragma once

#include <string>

#include "keyring.pb.h"

namespace shoal::daemon::control {

std::string KeyringActionText(const KeyringChange& change);

}  // namespace shoal::daemon::control
