// The active policy on disk, so a restarted daemon runs it at once instead
// of waiting for a peer: STATE_DIR/policy.active holds a header line with
// the version, then the document as pushed. Written to a temporary file,
// flushed to disk and renamed over the old one, so a crash leaves either
// the old or the new document, never a torn one.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/result.h"
#include "policy/distribution.h"

namespace shoal::daemon {

Status SaveActivePolicy(const std::string& state_dir, const policy::PolicyVersion& version,
                        const std::string& text);
// Nothing stored: nullopt. A damaged file is an error naming it.
Result<std::optional<std::pair<policy::PolicyVersion, std::string>>> LoadActivePolicy(const std::string& state_dir);

}  // namespace shoal::daemon
