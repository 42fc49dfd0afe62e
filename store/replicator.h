// Replication of this node's history to `copies` peers chosen from the live
// set (rendezvous hashing on the origin's and the peer's ids, so each
// origin's replicas are spread over the pool and stay put while they live).
//
// A new replica first gets a copy of every row this node holds of its own
// (a slice per call, in key order), which stands for every batch up to the
// sequence recorded when the copy began; then the log continues from
// there. A replica acknowledges the highest sequence it holds without a
// gap, after syncing it to disk; the origin resumes from the last
// acknowledgement after a failed call, a restart of either side, or a gap.
// A replica acknowledging more than this node's store holds means the
// store lost its log's tail (a crash before the disk had it): the store
// goes on under a new incarnation and every replica gets a fresh copy, so
// no sequence number is used twice. A replica acknowledging less than it
// had means it lost its store: it gets a fresh copy (the log holds only
// this store's batches, not rows copied or restored from before them).
// A replica that the membership declares failed (or that is still unknown
// once the node has been up for `startup_grace`) is replaced: the
// replacement gets the copy, so the number of copies comes back.
//
// Engine code: clock, membership and streams come from the owner; call
// Tick() often (after each recorded period keeps the lag to one round
// trip). Not thread-safe.
#pragma once

#include <functional>
#include <string>

#include <cstdint>
#include <map>
#include <vector>

#include "core/clock.h"
#include "gossip/membership.h"
#include "gossip/peer_streams.h"
#include "store/acked_call.h"
#include "store/history_store.h"

namespace shoal::store {

struct ReplicatorOptions {
  int copies = 2;  // replicas beside the origin
  Duration call_timeout = std::chrono::seconds(5);
  Duration retry_after = std::chrono::seconds(1);  // after a failed call
  Duration startup_grace = std::chrono::seconds(10);
  size_t max_message_bytes = 1 << 20;
  // A node's name for the log (shoald: from its status); unset: its id.
  std::function<std::string(NodeId)> name_of;
};

struct ReplicatorCounters {
  uint64_t appends = 0;   // calls sent
  uint64_t copies = 0;    // copy slices sent
  uint64_t failures = 0;  // calls that failed or were refused
  uint64_t replaced = 0;  // replicas replaced after a failure
  uint64_t rollbacks = 0; // a replica held batches this store had lost
  uint64_t bytes = 0;
};

struct ReplicaView {
  NodeId id;
  uint64_t acked_seq = 0;
  bool copying = false;
  bool in_flight = false;
};

class Replicator {
 public:
  Replicator(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams, Clock& clock,
             ReplicatorOptions options = {});
  ~Replicator();

  void Tick();
  // Every replica gets a fresh copy of every row held (the store got rows
  // of its earlier stores back: store/restorer.h).
  void CopyAfresh();

  std::vector<ReplicaView> replicas() const;
  // The highest sequence that `copies` replicas acknowledged (every batch
  // up to it survives the loss of any `copies` nodes).
  uint64_t durable_seq() const;
  const ReplicatorCounters& counters() const { return counters_; }

 private:
  struct State {
    ReplicaState saved;
    AckedCall call;
    uint64_t restarts = 0;  // answers to calls sent before a fresh copy began are ignored
    // While a fresh copy runs: the batches it held when the copy began
    // (still there; durable_seq counts them).
    uint64_t kept_seq = 0;
  };
  // A fresh copy for one replica that still holds batches up to `kept`.
  void Restart(State& st, uint64_t kept);
  void ChooseReplicas();
  // A replica's state that starts with a copy of every row held.
  ReplicaState FreshCopy() const;
  void OnRollback(NodeId id, uint64_t held);
  void Send(NodeId id, State& st, const Endpoint& to);
  void OnReply(NodeId id, uint64_t restarts, Result<wire::Ack> ack, bool was_copy, std::string cursor, bool last);
  void Save(NodeId id, const State& st);
  std::string NameOf(NodeId id) const { return options_.name_of ? options_.name_of(id) : id.ToString(); }

  HistoryStore& store_;
  const gossip::Membership& membership_;
  gossip::PeerStreams& streams_;
  Clock& clock_;
  ReplicatorOptions options_;
  TimePoint started_;
  std::map<NodeId, State> replicas_;
  ReplicatorCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::store
