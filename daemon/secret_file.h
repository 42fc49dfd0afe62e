// Files whose content the daemon trusts. A secret (the pool key, the
// control tokens) must be the daemon's alone: one that others may read or
// write is refused, with the chmod that fixes it. A trusted public file
// (the admins' public keys) may be read by anyone but written by its owner
// only. A file that is not a regular file is refused. Nothing is changed
// on disk. Free functions; thread-safe.
#pragma once

#include <string>

#include "core/result.h"
#include "daemon/control/tokens.h"

namespace shoal::daemon {

enum class FileTrust { kSecret, kPublic };

// `what` names the file in messages ("key file", "tokens file").
Status GuardSecretFile(const std::string& path, const char* what, FileTrust trust = FileTrust::kSecret);

// The control API's tokens file, read only if GuardSecretFile passes it.
Result<Tokens> LoadGuardedTokens(const std::string& path);

// Appends `line` to the file at `path`, creating it with mode 0600; an
// existing file must pass GuardSecretFile.
Status AppendSecretLine(const std::string& path, const std::string& line, const char* what);

}  // namespace shoal::daemon
