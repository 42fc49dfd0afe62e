// The history service every daemon serves to its peers on the peer streams
// (StreamService::kHistory): replication (Append, Copy: accepted only from
// the origin itself, as authenticated by the stream), and the parts of a
// pool-wide query (Holdings, Query), deletion (Delete) and archiving
// (ArchiveRequest, into the service's archive directory), and an origin's
// own rows back to it after its store started afresh (Restore: only to the
// origin itself, as authenticated by the stream). Deletion and
// archiving are admin actions: applied only as signed by an admin key this
// node trusts (gossip/admin_auth.h), once each, whoever relays them.
// Requests are untrusted: bounded by the streams, validated by the store;
// a refusal travels back as the call's error and is counted.
//
// Replicated rows are acknowledged only once they are on disk (the origin
// then forgets nothing it may need). A copy slice is synced and answered at
// once. Appends are small and come every sampling period from each origin
// this node holds: with group commit on, they are held until the oldest has
// waited the window, then one sync of the store's log answers them all (a
// copy slice's sync answers them too: it covers them). Off (the default),
// each is synced and answered at once.
// Not thread-safe: runs on the owner's event loop.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gossip/admin_auth.h"
#include "gossip/peer_streams.h"
#include "store/history_store.h"
#include "store/wire_codec.h"

namespace shoal::store {

// shoald's group commit window: well inside the replicator's call timeout,
// and about one sampling period, so an origin's appends wait for one sync.
inline constexpr Duration kGroupCommitWindow = std::chrono::seconds(1);
// The rows in one answer to a restore (store/restorer.h), about.
inline constexpr size_t kRestoreSliceBytes = 1 << 20;

struct ServiceCounters {
  uint64_t served = 0;
  uint64_t refused = 0;
  uint64_t commits = 0;       // group commits: one sync for held appends
  uint64_t held_answered = 0;  // held appends answered (by a group commit or a copy's sync)
};

class HistoryService {
 public:
  // Told after rows were deleted on a peer's (or this node's) request.
  using DeleteListener = std::function<void(NodeId by, const DeleteRequest& request, uint64_t rows)>;

  HistoryService(HistoryStore& store, gossip::PeerStreams& streams, std::string archive_dir = "")
      : store_(store), streams_(streams), archive_dir_(std::move(archive_dir)) {}
  void Register();
  void SetDeleteListener(DeleteListener l) { on_delete_ = std::move(l); }
  // The admin keys this node trusts; none (the default): deletions and
  // archives are refused.
  void SetAdminVerifier(gossip::AdminVerifier* verifier) { admin_ = verifier; }
  // Whether an origin is alive as this node sees it. Copies of an origin's
  // rows are accepted from another node only for an origin that is not
  // (store/custodian.h); without this, only from the origin itself.
  void SetOriginLive(std::function<bool(NodeId)> live) { origin_live_ = std::move(live); }
  // Group commit on, with `clock` to time the window (keep it well inside
  // the callers' timeout).
  void SetGroupCommit(const Clock& clock, Duration window) {
    clock_ = &clock;
    window_ = window;
  }
  // Commits once the oldest held append has waited the window; call often.
  void Tick();
  // Syncs the log once and answers every held append (with the sync's
  // error if it failed: the origins send them again). Nothing held:
  // nothing synced. Destroying the service drops held appends unanswered
  // (their callers time out and send them again).
  void Commit();
  // Commits, and turns group commit off: later appends are synced and
  // answered at once. shoald calls it when it starts leaving the pool, so
  // appends that arrive while it lingers are answered too.
  void EndGroupCommit();

  // One request from `from` (this node itself for the local part of a
  // pool-wide query).
  Result<wire::Response> Handle(NodeId from, wire::Request request);
  HistoryStore& store() { return store_; }
  const ServiceCounters& counters() const { return counters_; }

 private:
  struct HeldAck {
    std::string response;
    gossip::PeerStreams::Respond respond;
  };
  // More held appends than this commit at once.
  static constexpr size_t kMaxHeld = 1024;
  // Answers an applied append or copy once it is on disk.
  void Acknowledge(bool append, const wire::Response& response, gossip::PeerStreams::Respond respond);
  // One sync of the log; then answers `held` (with the sync's error if it
  // failed).
  void SyncAndAnswer(std::vector<HeldAck> held);
  // The rows of `from` that it asks back, checked.
  Result<CopySlice> RestoreSlice(NodeId from, const wire::Restore& restore);
  // The signed action of a delete or archive request, checked.
  Result<std::string> AdminAction(const wire::Request& request, std::string_view kind);

  HistoryStore& store_;
  gossip::PeerStreams& streams_;
  std::string archive_dir_;
  DeleteListener on_delete_;
  gossip::AdminVerifier* admin_ = nullptr;
  std::function<bool(NodeId)> origin_live_;
  ServiceCounters counters_;
  const Clock* clock_ = nullptr;  // group commit on
  Duration window_{};
  TimePoint held_since_{};
  std::vector<HeldAck> held_;
};

}  // namespace shoal::store
