// Who is in the pool, as one node sees it (the original's "shepherd").
// A gossip-style failure detector: every node keeps, for every peer, the
// local time of the newest sign of life it knows of, and every packet
// carries a liveness digest (the sender at age 0 and a rotating window of
// peers with their ages), so news of life spreads epidemically at the cost
// of a few bytes per peer. A packet straight from a node also counts; a
// forwarded entry does not (nothing says how old it is). Silence past the
// suspect timeout makes a node suspect, past the failure timeout failed;
// fresher news brings it back (the Gossiper probes suspects directly, so a
// live one answers within a round trip). In a large pool silence convicts
// too slowly, so accusations also spread (see accusations.h): a node that
// hears one suspects the accused at once and declares it failed after
// accusation_timeout unless it is refuted. Its heartbeat entry
// (incarnation, address, leaving, accusations) changes on a restart, a
// leave, a refutation or an accusation: a newer incarnation refutes
// whatever was believed of an older one, and a node that announces leaving
// is marked left at once. Failed and left nodes
// are reaped after reap_after and tombstoned so their stale entries stay
// out. No configured pool size or quorum; timeouts stretch with the pool.
// Members live in a SlotMap (an array by PeerIndex slot); the lists of live
// and failed peers grow as members join and are rebuilt only when one
// leaves them, so a pool of thousands forming is not a sort per tick.
// Pure state machine on the caller's clock values; not thread-safe.
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
#include "gossip/accusations.h"
#include "gossip/config.h"
#include "gossip/build_table.h"
#include "gossip/packet.h"
#include "gossip/slot_map.h"

namespace shoal::gossip {

enum class MemberState : uint8_t { kAlive, kSuspect, kFailed, kLeft };
std::string_view ToString(MemberState s);

// 40 bytes: every node holds one per peer (10^8 of them in a simulated
// pool of 10,000), so the build is a number in the membership's table of
// texts (Membership::BuildOf), the small fields share the last word, and
// the id is the table's (its slot names it: the lists and ForEach give it
// beside the member).
struct Member {
  Endpoint endpoint;  // invalid until a heartbeat names it
  uint64_t incarnation = 0;
  TimePoint last_seen;    // local time of the newest sign of life
  TimePoint state_since;  // local time the state last changed
  ProtocolRange protocol{1, 1};  // from its heartbeat
  MemberState state = MemberState::kAlive;
  uint8_t build = 0;  // from its heartbeat (0: "", a version-1 node)
};

struct MemberEvent {
  enum class Kind { kJoined, kSuspected, kFailed, kRecovered, kLeft, kReaped, kAccused };
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
  std::vector<Accusation> accused;  // at most kMaxAccusations
  ProtocolRange protocol{1, 1};     // what the sender speaks (1 to 1 from a version-1 node)
  std::string build = {};           // what it runs, at most kMaxBuildBytes
};
inline constexpr size_t kMaxBuildBytes = 48;  // longer is cut (the heartbeat fits its channel)
std::string EncodeHeartbeat(const Heartbeat& h);
Result<Heartbeat> DecodeHeartbeat(std::string_view bytes);

class Membership {
 public:
  using Listener = std::function<void(const MemberEvent&)>;

  Membership(NodeId self, const GossipConfig& config, PeerIndex& index);

  void SetListener(Listener l) { listener_ = std::move(l); }

  // A new heartbeat version from `origin`.
  void OnHeartbeat(NodeId origin, const Heartbeat& hb, TimePoint now);
  // This node probed `id` from `since` until now without an answer:
  // accuse it, unless news of its life arrived since then, it is not
  // alive (suspected or accused already), this node is forgiving a stall
  // of its own or it has kMaxAccusations out already. Emits kAccused.
  bool Accuse(NodeId id, TimePoint since, TimePoint now);
  // Suspects the accused and fails those whose accusation stood for
  // accusation_timeout; drops accusations that no longer stand. Cheap
  // when there are none. Call every tick.
  void CheckAccusations(TimePoint now);
  // What this node's heartbeat says: the accusations it makes that still
  // stand, by id (empty, and no allocation, while nobody accuses anyone).
  std::vector<Accusation> own_accusations() const { return accusations_.By(self_); }
  // This node's own incarnation, which accusations of it must name to
  // count (a lower one is refuted already; a higher one nobody can know);
  // setting it clears accused_self().
  void SetOwnIncarnation(uint64_t incarnation) {
    own_incarnation_ = incarnation;
    accused_self_ = false;
  }
  // A heartbeat accused this node's current incarnation: it refutes by
  // taking a newer one.
  bool accused_self() const { return accused_self_; }
  // An authenticated packet sent by `origin` itself, from `from`. It is
  // alive now, whatever was believed: this lifts a tombstone (a partition
  // that outlasted reap_after heals at once) and, for a node whose address
  // is unknown, takes the packet's source address.
  // age_ms: how long the packet waited at this node before it was read.
  void OnSignOfLife(NodeId origin, const Endpoint& from, TimePoint now, uint32_t age_ms = 0);
  void OnSignOfLife(NodeId origin, TimePoint now) { OnLiveness(origin, 0, now); }
  // A digest item: a peer had a sign of life from `id` age_ms ago.
  void OnLiveness(NodeId id, uint32_t age_ms, TimePoint now);
  // Appends this node's digest: itself at age 0, then the next live peers
  // of the rotating window.
  void FillDigest(TimePoint now, std::vector<LivenessItem>& out);
  // The age a digest gives `m`'s newest sign of life.
  static uint32_t DigestAgeMs(const Member& m, TimePoint now);
  size_t digest_items() const;
  // False for a tombstoned (reaped) node: its entries are stale by now.
  // A heartbeat with a newer incarnation, news of life from after the reap
  // or a packet from the node itself lifts the tombstone.
  bool Accepts(NodeId origin, bool is_heartbeat, uint64_t incarnation) const;
  // The incarnation a reaped node had, while its tombstone lasts (else 0).
  uint64_t TombstonedIncarnation(NodeId id) const;

  // Moves nodes along alive -> suspect -> failed and reaps old ones.
  // Returns the reaped ids (the caller drops their entries).
  std::vector<NodeId> Tick(TimePoint now);
  // The peers that were suspect at the last Tick, with a known address,
  // by id (some may have been cleared since).
  const std::vector<NodeId>& suspects() const { return suspects_; }
  // This node itself was stalled: what it knows of its peers is old. For
  // half a failure timeout it declares nobody suspect or failed, while the
  // packets waiting for it and the next ones bring fresh news; then the
  // usual rules apply, so a peer that really died is still caught soon.
  void ForgiveStall(TimePoint now);

  bool IsLive(NodeId id) const;  // self, alive or suspect
  const Member* Find(NodeId id) const;
  std::string_view BuildOf(const Member& m) const { return builds_.Text(m.build); }
  // fn(id, member) for every member (self not included), in no set order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    members_.ForEach(fn);
  }
  size_t size() const { return members_.size(); }
  // Live peers (not self) whose address is known, in no set order (the
  // same from call to call until the membership changes). Valid until the
  // next call that changes the membership.
  // Iterates as {id, const Member*} (`m.id`, `m->endpoint`).
  using MemberList = SlotList<Member>;
  const MemberList& live_peers() const;
  // Failed (not yet reaped) peers with a known address; likewise.
  const MemberList& failed_peers() const;
  size_t live_count() const;  // including self

  // Scaled for the current pool size; where accusations convict first
  // (AccusationsFaster), suspicion by silence waits at least three
  // quarters of the failure by silence.
  Duration suspect_timeout() const;
  Duration failure_timeout() const;
  // How long an accusation stands before the accused is failed: long
  // enough for it to reach the accused and the refutation to come back
  // (two waves of TtlFor hops each, twice over for loss: 0.88 s at 1,024
  // nodes), and never so short that the probes and the accusation together
  // convict a node silent for less than the configured failure timeout
  // (failure_timeout - probe_timeout, 0.8 s at the defaults): a stall
  // that silence would forgive in a small pool is forgiven in a large one.
  Duration accusation_timeout() const;
  // Whether probing and accusing can convict a dead node before silence
  // does: probing is on and probe_timeout + accusation_timeout <
  // failure_timeout. Not in a
  // small pool (at 128 nodes 0.4 + 0.8 s against 1.2 s), where probes
  // would cost packets and find nothing first; from about 200 nodes on,
  // where the failure timeout stretches.
  bool AccusationsFaster() const;

 private:
  // OnHeartbeat's part about the member itself (address, incarnation,
  // state).
  void UpdateMember(NodeId origin, const Heartbeat& hb, TimePoint now);
  void SetState(NodeId id, Member& m, MemberState s, TimePoint now);
  void Emit(MemberEvent::Kind kind, NodeId id, const Member& m, TimePoint now);
  double Stretch() const;
  // The lists a member belongs on (bits of kDigestList, kLiveList,
  // kFailedList), and the upkeep after a member changed from `before`:
  // appends it where it is new, marks the lists for a rebuild where it left.
  static uint8_t Lists(const Member& m);
  void Relist(uint8_t before, NodeId id, const Member& m);

  NodeId self_;
  GossipConfig config_;
  GossipConfig timing_;  // config_.AtTimingFanout(): what the timeouts are sized from
  Listener listener_;
  SlotMap<Member> members_;  // never holds self
  struct Tombstone {
    uint64_t incarnation;
    TimePoint reaped_at;
    TimePoint until;
  };
  std::unordered_map<NodeId, Tombstone> tombstones_;
  size_t live_peers_count_ = 0;
  std::vector<NodeId> suspects_;
  AccusationBook accusations_;
  uint64_t own_incarnation_ = 0;
  bool accused_self_ = false;
  size_t digest_cursor_ = 0;  // the slot the next digest window starts from
  TimePoint grace_until_ = TimePoint::min();
  void RebuildCaches() const;
  BuildTable builds_;  // the members' build texts
  // By slot, so they hold 4 bytes per member and stay valid when the
  // table moves; rebuilt when a member leaves one.
  mutable MemberList live_cache_{members_};
  mutable MemberList failed_cache_{members_};
  mutable bool live_dirty_ = true;  // the caches need a rebuild
};

}  // namespace shoal::gossip
