// Snapshot epochs: gossip gives every node nearly the same view, but
// "nearly" is not enough for computations that must agree exactly (every
// node planning the same pool). So, every period, the live node with the
// lowest id (the leader) freezes the channels flagged kSnapshot as it holds
// them, numbers the result (the epoch), and sends it down a tree: the
// snapshot lists the live members sorted by id, member i forwards it to
// members k*i+1 .. k*i+k (k = fanout) over peer streams, so the leader
// sends k copies and the pool is covered in log_k(N) hops. Every node then
// computes on the same snapshot.
//
// No election: each node decides from its own membership whether it is the
// lowest live id. When the leader dies, the next one notices through the
// failure detector and continues the numbering from the highest epoch it
// has seen. A snapshot is installed if its epoch is higher than the
// installed one, or equal and from a lower leader id (two leaders during a
// partition settle on one when it heals). A node whose branch of the tree
// broke misses that epoch and gets the next one; consumers ask fresh() to
// know whether to fall back to the live view. Most epochs are deltas (the
// entries that changed since the leader's previous epoch); every
// full_every-th, and a new leader's first, is whole.
// Not thread-safe; one thread with the Gossiper.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"

namespace shoal::gossip {

struct SnapshotConfig {
  Duration period = std::chrono::seconds(1);
  size_t fanout = 4;
  Duration forward_timeout = std::chrono::seconds(2);
  // A snapshot older than this many periods is stale (see fresh()).
  int stale_after_periods = 3;
  // Snapshots larger than this are not taken (the channels are too big).
  size_t max_bytes = 16 << 20;
  // Between full snapshots the leader sends only what changed since its
  // previous epoch; a node that missed that epoch waits for the next full
  // one (at most this many epochs later).
  int full_every = 10;
};

struct SnapshotEntryValue {
  uint64_t version = 0;
  std::string payload;
};

struct Snapshot {
  uint64_t epoch = 0;
  NodeId leader;
  std::vector<NodeId> members;  // sorted; members[0] is the leader
  // channel code -> origin -> entry
  std::map<uint32_t, std::map<NodeId, SnapshotEntryValue>> channels;
  TimePoint installed_at;  // local time
};

struct SnapshotCounters {
  uint64_t taken = 0;           // epochs this node led
  uint64_t installed = 0;       // snapshots installed (own included)
  uint64_t ignored = 0;         // older than the installed one, or not for us
  uint64_t malformed = 0;       // did not parse
  uint64_t missing_base = 0;    // deltas against an epoch this node does not have
  uint64_t forwarded = 0;       // sent to children
  uint64_t forward_failures = 0;
};

class SnapshotService {
 public:
  using Listener = std::function<void(const Snapshot&)>;

  // REQUIRES: all references outlive this object. Serves
  // StreamService::kSnapshot on `streams`.
  SnapshotService(const SnapshotConfig& config, Gossiper& gossiper, PeerStreams& streams, Clock& clock);
  SnapshotService(const SnapshotService&) = delete;
  SnapshotService& operator=(const SnapshotService&) = delete;
  ~SnapshotService();

  // Call every gossip tick: the leader takes an epoch when one is due.
  void Tick();

  // The installed snapshot, if any.
  const Snapshot* current() const { return current_ ? &*current_ : nullptr; }
  // An installed snapshot no older than stale_after_periods periods.
  bool fresh() const;
  // Whether this node believes it is the leader now.
  bool leading() const;
  void SetListener(Listener l) { listener_ = std::move(l); }
  const SnapshotCounters& counters() const { return counters_; }

 private:
  void Take();
  // Installs and forwards; returns false if it was not newer.
  bool Receive(const std::string& bytes, bool own);
  void Forward(const std::string& bytes, const std::vector<NodeId>& members,
               const std::vector<Endpoint>& endpoints);

  SnapshotConfig config_;
  Gossiper& gossiper_;
  PeerStreams& streams_;
  Clock& clock_;
  std::optional<Snapshot> current_;
  uint64_t highest_epoch_ = 0;
  int deltas_since_full_ = 0;
  TimePoint next_take_ = TimePoint::min();
  Listener listener_;
  SnapshotCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
