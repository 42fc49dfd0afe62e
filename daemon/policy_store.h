// Policy documents on disk. STATE_DIR/policy.active holds the active one,
// so a restarted daemon runs it at once instead of waiting for a peer; the
// archive (daemon/policy_archive.h) keeps earlier revisions in the same
// format: a header line with the version, then the document as pushed (its
// envelope). Written to a temporary file, flushed to disk and renamed over
// the old one, so a crash leaves either the old or the new document, never
// a torn one.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/result.h"
#include "policy/distribution.h"

namespace shoal::daemon {

using StoredPolicy = std::pair<policy::PolicyVersion, std::string>;

// One document in one file, replaced atomically.
Status WritePolicyFile(const std::string& path, const policy::PolicyVersion& version, const std::string& blob);
// Nothing there: nullopt. A damaged file is an error naming it.
Result<std::optional<StoredPolicy>> ReadPolicyFile(const std::string& path);

Status SaveActivePolicy(const std::string& state_dir, const policy::PolicyVersion& version,
                        const std::string& text);
Result<std::optional<StoredPolicy>> LoadActivePolicy(const std::string& state_dir);

}  // namespace shoal::daemon
