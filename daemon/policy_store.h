// One policy document in one file: a header line with the version
// ("shoal-policy-version HLC ORIGIN REVISION"), then the document as
// pushed (its envelope). Written to a temporary file, flushed to disk and
// renamed over the old one, so a crash leaves either the old or the new
// document, never a torn one. The files of daemon/policy_archive.h, and
// STATE_DIR/policy.active of daemons before it. Free functions.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/result.h"
#include "policy/distribution.h"

namespace shoal::daemon {

using StoredPolicy = std::pair<policy::PolicyVersion, std::string>;

Status WritePolicyFile(const std::string& path, const policy::PolicyVersion& version, const std::string& blob);
// Nothing there: nullopt. A damaged file is an error naming it. A header
// without a revision (written before revisions) reads as revision 0.
Result<std::optional<StoredPolicy>> ReadPolicyFile(const std::string& path);

}  // namespace shoal::daemon
