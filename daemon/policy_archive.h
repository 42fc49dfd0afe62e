// The policy revisions this node has run, kept for `shoalctl policy
// history`, `policy show --rev` and `policy rollback`: one file per version
// in STATE_DIR/policies (daemon/policy_store.h's format, the document's
// envelope as it travelled), the newest kKept of them. Versions are held in
// memory, documents read from their files when asked. A node knows the
// revisions it ran: one that joined later lacks the earlier ones. Not
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/distribution.h"

namespace shoal::daemon {

class PolicyArchive {
 public:
  static constexpr size_t kKept = 100;

  // Creates `dir` if needed and reads what it holds; a file that does not
  // parse is left out with a warning in the log.
  static Result<PolicyArchive> Open(std::string dir);

  // Stores a version that became active (again: nothing new), then drops
  // the oldest beyond kKept.
  Status Add(const policy::PolicyVersion& version, const std::string& blob);
  // Oldest first.
  const std::vector<policy::PolicyVersion>& versions() const { return versions_; }
  // The newest version labelled `revision`.
  std::optional<policy::PolicyVersion> FindRevision(uint32_t revision) const;
  // The version whose stamp reads `text` (PolicyVersion::ToString).
  std::optional<policy::PolicyVersion> FindStamp(const std::string& text) const;
  // A kept version's envelope.
  Result<std::string> Blob(const policy::PolicyVersion& version) const;

 private:
  explicit PolicyArchive(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(const policy::PolicyVersion& v) const;

  std::string dir_;
  std::vector<policy::PolicyVersion> versions_;  // sorted by stamp
};

}  // namespace shoal::daemon
