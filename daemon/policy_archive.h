// The policy revisions this node has run: one file per version in
// STATE_DIR/policies (daemon/policy_store.h's format, the document's
// envelope as it travelled), the newest kKept of them. The newest is the
// active one (versions only go up), which a restarted daemon runs at once
// instead of waiting for a peer; the others serve `shoalctl policy
// history`, `policy show --rev` and `policy rollback`. Versions are held in
// memory, documents read from their files when asked. A node knows the
// revisions it ran: one that joined later lacks the earlier ones. Not
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "daemon/policy_store.h"
#include "policy/distribution.h"

namespace shoal::daemon {

class PolicyArchive {
 public:
  static constexpr size_t kKept = 100;

  // Creates `dir` if needed and reads what it holds; a file that does not
  // parse is left out with a warning in the log.
  static Result<PolicyArchive> Open(std::string dir);

  // Takes in the single file where daemons before the archive kept the
  // active document (STATE_DIR/policy.active), then removes it; none there:
  // nothing to do. A damaged one is an error naming it.
  Status Adopt(const std::string& legacy_file);
  // Stores a version that became active (again: nothing new), then drops
  // the oldest beyond kKept. One that cannot be written (a full disk) is
  // kept in memory for RetryPending, the newest such only.
  Status Add(const policy::PolicyVersion& version, const std::string& blob);
  // Writes the version Add could not, if any; returns it once stored
  // (nullopt: nothing was pending), or why it still cannot be.
  Result<std::optional<policy::PolicyVersion>> RetryPending();
  // The newest kept version and its envelope (the one to run at start).
  Result<std::optional<StoredPolicy>> Newest() const;
  // Oldest first.
  const std::vector<policy::PolicyVersion>& versions() const { return versions_; }
  // The newest version labelled `revision`.
  std::optional<policy::PolicyVersion> FindRevision(uint32_t revision) const;
  // The kept version with this identity (hlc, origin), its revision filled in.
  std::optional<policy::PolicyVersion> Find(const policy::PolicyVersion& version) const;
  // A kept version's envelope.
  Result<std::string> Blob(const policy::PolicyVersion& version) const;

 private:
  explicit PolicyArchive(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(const policy::PolicyVersion& v) const;

  std::string dir_;
  std::vector<policy::PolicyVersion> versions_;  // sorted by stamp
  std::optional<StoredPolicy> pending_;  // active, not yet written
};

}  // namespace shoal::daemon
