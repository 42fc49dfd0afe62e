// The pool key file: one key per line as 64 hex digits; the first line is
// the primary key, the others are still accepted (for rotation: add the new
// key as a second line everywhere, then move it first, then drop the old
// one; shoald rereads the file on SIGHUP). Blank lines and lines starting
// with '#' are ignored. Free functions; thread-safe.
#pragma once

#include <string>

#include "core/result.h"
#include "gossip/seal.h"

namespace shoal::daemon {

// Errors name the file and the line.
Result<gossip::Keyring> LoadKeyFile(const std::string& path);
// Makes `ring` hold exactly the file's keys with its primary, without ever
// leaving it empty. On error `ring` is unchanged.
Status ReloadKeyFile(const std::string& path, gossip::Keyring& ring);
// Replaces the file with `ring`'s keys, the primary first (mode 0600,
// written to a temporary file, flushed and renamed: a crash leaves the old
// file or the new one). For pool-wide rotation (daemon/keyring_service.h).
Status WriteKeyFile(const std::string& path, const gossip::Keyring& ring);
// Writes a new random key to `path` (mode 0600); refuses to overwrite.
Status WriteNewKeyFile(const std::string& path);

}  // namespace shoal::daemon
