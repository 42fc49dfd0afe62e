// Who is in the pool, as one node sees it (the original's "shepherd").
// A failure detector driven purely by signs of life: a heartbeat version or
// any other fresh entry from a node refreshes it; silence past the suspect
// timeout makes it suspect, past the failure timeout failed; a fresh sign of
// life from a suspect or failed node brings it back (it refutes by a newer
// version, which carries its incarnation in its high bits); a node that
// announces leaving is marked left at once. Failed and left nodes are reaped
// after reap_after and then tombstoned so their stale entries stay out.
// There is no configured pool size or quorum. Timeouts stretch with the
// pool (see GossipConfig::heartbeat_budget). Pure state machine on the
// caller's clock values; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/node_id.h"
#include "core/result.h"
#include "gossip/config.h"

namespace shoal::gossip {

enum class MemberState { kAlive, kSuspect, kFailed, kLeft };
std::string_view ToString(MemberState s);

struct Member {
  NodeId id;
  Endpoint endpoint;  // invalid until a heartbeat names it
  MemberState state = MemberState::kAlive;
  uint64_t incarnation = 0;
  TimePoint last_seen;    // local time of the newest sign of life
  TimePoint state_since;  // local time the state last changed
};

struct MemberEvent {
  enum class Kind { kJoined, kSuspected, kFailed, kRecovered, kLeft, kReaped };
  Kind kind;
  NodeId id;
  Endpoint endpoint;
  TimePoint at;
};
std::string_view ToString(MemberEvent::Kind k);

// The heartbeat channel's payload.
struct Heartbeat {
  uint64_t incarnation = 0;
  Endpoint endpoint;
  bool leaving = false;
  uint64_t beat = 0;
};
std::string EncodeHeartbeat(const Heartbeat& h);
Result<Heartbeat> DecodeHeartbeat(std::string_view bytes);

class Membership {
 public:
  using Listener = std::function<void(const MemberEvent&)>;

  Membership(NodeId self, const GossipConfig& config);

  void SetListener(Listener l) { listener_ = std::move(l); }

  // A new heartbeat version from `origin`.
  void OnHeartbeat(NodeId origin, const Heartbeat& hb, TimePoint now);
  // Any other fresh entry, or an authenticated packet sent by `origin`.
  void OnSignOfLife(NodeId origin, TimePoint now);
  // False for a tombstoned (reaped) node: its entries are stale by now.
  // A heartbeat with a newer incarnation lifts the tombstone.
  bool Accepts(NodeId origin, bool is_heartbeat, uint64_t incarnation) const;

  // Moves nodes along alive -> suspect -> failed and reaps old ones.
  // Returns the reaped ids (the caller drops their entries).
  std::vector<NodeId> Tick(TimePoint now);
  // This node was stalled for `gap`: shift every peer's last sign of life by
  // it, so our own silence is not blamed on them.
  void ForgiveStall(Duration gap);

  bool IsLive(NodeId id) const;  // self, alive or suspect
  const Member* Find(NodeId id) const;
  const std::unordered_map<NodeId, Member>& members() const { return members_; }
  // Live peers (not self) whose address is known; stable order by id.
  const std::vector<const Member*>& live_peers() const;
  // Failed (not yet reaped) peers with a known address; stable order by id.
  const std::vector<const Member*>& failed_peers() const;
  size_t live_count() const;  // including self

  // Scaled for the current pool size.
  Duration heartbeat_interval() const;
  Duration suspect_timeout() const;
  Duration failure_timeout() const;

 private:
  void SetState(Member& m, MemberState s, TimePoint now);
  void Emit(MemberEvent::Kind kind, const Member& m, TimePoint now);
  double Stretch() const;

  NodeId self_;
  GossipConfig config_;
  Listener listener_;
  std::unordered_map<NodeId, Member> members_;  // never holds self
  std::unordered_map<NodeId, std::pair<uint64_t, TimePoint>> tombstones_;  // incarnation, until
  size_t live_peers_count_ = 0;
  void RebuildCaches() const;
  mutable std::vector<const Member*> live_cache_;
  mutable std::vector<const Member*> failed_cache_;
  mutable bool live_dirty_ = true;  // both caches need a rebuild
};

}  // namespace shoal::gossip
