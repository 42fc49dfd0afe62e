// The daemon's boot number: it seeds entry versions and replay protection,
// so it must grow across restarts, even two within one second. It is the
// wall clock in seconds, but never less than the last boot plus one, kept
// in STATE_DIR/boot. Free function; not safe across processes sharing one
// state directory.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace shoal::daemon {

Result<uint64_t> NextBoot(const std::string& state_dir);

}  // namespace shoal::daemon
