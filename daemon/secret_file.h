// Files that hold secrets (the pool key, the control tokens) must be the
// daemon's alone. One that others may write is refused: its content cannot
// be trusted. One that others may read is made 0600, with a warning that
// says so (refused when that fails). A file that is not a regular file is
// refused. Free function; thread-safe.
#pragma once

#include <string>

#include "core/result.h"

namespace shoal::daemon {

// `what` names the file in messages ("key file", "tokens file").
Status GuardSecretFile(const std::string& path, const char* what);

}  // namespace shoal::daemon
