// The process's open-file limit (RLIMIT_NOFILE). A daemon holds a socket
// per peer stream, in and out, and an emulator holds every emulated peer's:
// both raise the limit at start rather than fail calls with "Too many open
// files" once a pool grows.
#pragma once

#include <cstdint>

#include "core/result.h"

namespace shoal {

// Raises the soft limit to `want` (0: to the hard limit), first raising the
// hard limit when `want` is above it and the process may (CAP_SYS_RESOURCE,
// up to /proc/sys/fs/nr_open). Never lowers a limit. Returns the soft limit
// in force afterwards; an error names the limit asked for and why it was
// refused (the soft limit is then as high as the hard one allows).
Result<uint64_t> RaiseFileLimit(uint64_t want);

}  // namespace shoal
