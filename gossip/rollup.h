// Roll-up: every node's part of a pool-wide sum carried up a tree to one
// node, at a cost per node that does not grow with the pool. For pools too
// large for every node to hear every other node's status each second: the
// nodes' parts (policy/pool_figures.h, encoded by the owner) become the
// pool's figures at the pool's representative, which tells the pool what
// follows from them (the owner's business: a gossip channel).
//
// The tree is gossip/rollup_tree.h's, from this node's live membership.
// Each node sends its own part to the representative of the smallest zone
// above it; a representative merges the parts of its zone's children (the
// owner's Merge) and sends the zone's part on up, until the pool's
// representative hands the pool's part to the owner (Whole). Parts are kept
// by the zone they stand for, not by who sent them, so a zone whose
// representative changes has its part replaced, never counted twice. When
// the membership changes, the parts of zones no longer right under a zone
// (a member failed, or joined and split a zone) are dropped at once; a
// child's part not refreshed within `expire` is dropped too (a rep that
// stopped without the membership noticing yet). A changed
// part goes up at most once per `period`, an unchanged one every `refresh`.
// A suspected member represents no zone while another member can (a
// crashed representative's zone moves as soon as the pool suspects it, not
// once it is declared failed); it stays in its zones. A node that comes to
// represent a zone passes it on once every zone under it has sent its part,
// or after `refresh` (a partial part would replace the whole zone's above).
// While views of the membership differ (a join or a failure not yet known
// everywhere) a part may be refused by a node that does not think it
// represents the zone, or briefly be in two zones: the sum is then off
// until the views agree and the old parts expire.
//
// Down the tree: the pool's representative can send bytes to every node
// (the owner's: what follows from the whole) by the way the parts came up.
// Each representative passes what it hears from the pool's representative
// it holds on to the nodes whose parts it holds, so every node that sends
// its part hears each version once, one stream call per level, in
// milliseconds rather than the exchange's rounds. One representative's
// versions are ordered by its boot counter, then their number (drawn from
// its clock): after its host restarts, its clock and numbers begin lower,
// and its new versions are still taken at once. When the tree changes (a
// representative suspected, failed or gone), a node that now represents a
// zone above others passes the last version it holds to each zone's new
// representative at once, as it computes them, so the nodes below a
// crashed representative are not cut off until their new one's first part
// comes up. That version may be older than one the node heard another
// way: the owner takes only newer ones from the tree. A node whose part is
// not held anywhere (it sends none yet) may hear nothing this way until it
// is: the owner keeps another way for those (a gossip channel at a slower
// rate).
//
// Served on StreamService::kRollup. Not thread-safe; one thread with the
// Gossiper.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "gossip/rollup_tree.h"

namespace shoal::gossip::wire {
class RollupPart;
}

namespace shoal::gossip {

struct RollupConfig {
  Duration period = std::chrono::milliseconds(250);
  // The pool's representative hands a changed whole over at most this often.
  Duration whole_every = std::chrono::milliseconds(250);
  Duration refresh = std::chrono::seconds(1);
  Duration expire = std::chrono::milliseconds(3500);
  Duration call_timeout = std::chrono::seconds(2);
  size_t max_part_bytes = 1 << 20;
  size_t max_children = 256;  // per zone; more are refused and counted
};

struct RollupCounters {
  uint64_t sent = 0;            // parts sent up
  uint64_t send_failures = 0;   // of those, not taken (unreachable, refused)
  uint64_t received = 0;        // parts taken from children
  uint64_t refused = 0;         // malformed, too large, not a zone this node represents, too many
  uint64_t expired = 0;         // children's parts dropped unrefreshed
  uint64_t moved = 0;           // children's parts dropped when the membership moved their zones
  uint64_t wholes = 0;          // the pool's part handed to the owner
  uint64_t bytes_sent = 0, bytes_received = 0;  // parts' payloads as they travel (deltas at their size)
  uint64_t deltas_sent = 0;      // parts sent as a delta from the part the receiver held
  uint64_t deltas_received = 0;  // parts taken as a delta
  uint64_t deltas_refused = 0;   // deltas from a part not held here (counted in `refused` too)
  uint64_t part_bytes_received = 0;  // the parts taken, whole (deltas rebuilt)
  uint64_t down_sent = 0;      // versions sent down, calls made
  uint64_t down_heard = 0;     // new versions heard from the pool's representative
  uint64_t down_ignored = 0;   // old, repeated or from a node this one does not hold to represent the pool
  uint64_t down_bytes_sent = 0, down_bytes_received = 0;
};

class Rollup {
 public:
  // The part of a zone from its children's parts (at least one).
  using Merge = std::function<std::string(std::span<const std::string* const> parts)>;
  // The pool's part, on the node that represents the pool.
  using Whole = std::function<void(const std::string& whole)>;
  // A new version of what the pool's representative sends down the tree.
  using Down = std::function<void(const std::string& bytes)>;

  // REQUIRES: the references outlive this object. Serves
  // StreamService::kRollup on `streams` and listens to the membership.
  Rollup(const RollupConfig& config, Gossiper& gossiper, PeerStreams& streams, Clock& clock, Merge merge,
         Whole whole);
  ~Rollup();
  Rollup(const Rollup&) = delete;
  Rollup& operator=(const Rollup&) = delete;

  // This node's own part, as it is now.
  void SetOwn(std::string part);
  // Where versions sent down the tree go on this node.
  void SetDown(Down down) { down_ = std::move(down); }
  // On the pool's representative: sends `bytes` down the tree now as a new
  // version, unless they are the version it sent last (the owner has them
  // already, Down is not called here).
  void SendDown(std::string bytes);
  // Call every gossip tick.
  void Tick();

  // Whether this node represents the pool (receives Whole); not before
  // its first tick.
  bool represents_pool() const { return !chain_.empty() && chain_.back().rep == self_; }
  // The node this node holds to represent the pool.
  NodeId pool_rep() const { return chain_.empty() ? self_ : chain_.back().rep; }
  // Zones above this node's own, up to the pool's.
  size_t height() const { return chain_.empty() ? 0 : chain_.size() - 1; }
  // Zones this node represents now (its own leaf included).
  size_t zones_held() const { return held_.size(); }
  const RollupCounters& counters() const { return counters_; }

 private:
  struct Child {
    std::string part;
    TimePoint received;
    NodeId from;  // who sent it (this node, for a zone handed over in place)
  };
  // A zone this node represents.
  struct Held {
    std::vector<ZoneKey> under;  // the zones right under it (sorted): parts for others are refused
    std::map<ZoneKey, Child> children;
    bool dirty = false;    // its children changed: merge again
    std::string merged;    // the zone's part
    bool pending = false;  // merged is not yet passed on as it is now
    NodeId sent_to;        // the representative above it when last sent
    TimePoint sent_at = TimePoint::min();
    // The last part the representative above took (what a delta is made
    // from), who took it, and the number of its send (replies may cross).
    std::string acked;
    NodeId acked_by;
    uint64_t acked_send = 0, sends = 0;
    TimePoint taken{};     // when this node came to represent it
  };

  void Rebuild();
  void Receive(const StreamPeer& from, const std::string& request, PeerStreams::Respond respond);
  void Expire(TimePoint now);
  // Brings the zone at chain_[i] (represented here) up to date and passes it on.
  void Pass(size_t i, TimePoint now);
  void Send(size_t i, Held& held, TimePoint now);
  void SendDone(const ZoneKey& zone, NodeId to, uint64_t send, std::string part, bool ok);
  // The part a received message carries, whole or rebuilt from its delta.
  Result<std::string> PartOf(wire::RollupPart& msg, const Held& held, const ZoneKey& child);
  void ReceiveDown(wire::RollupPart& msg, PeerStreams::Respond respond);
  // The nodes whose parts this node holds, and the representatives of the
  // zones right under those it represents: a zone just taken over hears
  // from them before their first parts come up (not itself).
  std::vector<NodeId> Children() const;
  // Passes the last version heard or sent down to `to`.
  void PassDown(const std::vector<NodeId>& to);

  RollupConfig config_;
  Gossiper& gossiper_;
  PeerStreams& streams_;
  Clock& clock_;
  Merge merge_;
  Whole whole_;
  Down down_;
  NodeId self_;
  std::vector<ZoneLink> chain_;  // leaf first
  std::vector<NodeId> barred_;   // the suspects the tree was built with
  std::map<ZoneKey, Held> held_;  // the zones of chain_ this node represents
  bool tree_dirty_ = true;
  // The last version down the tree: from which representative, in which of
  // its runs, its number, the bytes.
  NodeId down_from_;
  uint64_t down_boot_ = 0;
  uint64_t down_seq_ = 0;
  std::string down_bytes_;
  RollupCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
