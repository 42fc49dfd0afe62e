// Getting back a node's earlier history after its store started afresh
// (removed, found corrupt, left open by a crash, or short of periods its
// replicas hold: HistoryStore::restoring()). The rows of its earlier
// stores are still on the nodes that held them, but nothing else would
// keep them at copies + 1: the replicator copies what the store holds,
// and the custodian only a dead node's rows; each further loss of a
// holder would take some away.
//
// So the node asks every live peer what it holds (a Holdings call, a few
// at a time, 10-20 s after it starts), then each holder of its rows for
// those of the times it may lack, a slice at a time (a Restore call,
// answered with rows), and writes those its store lacks
// (HistoryStore::RestoreRows). Once every peer has been heard from (and
// every holder read), `done` runs (shoald: the replicator gives every
// replica a fresh copy) and the store claims the rows (FinishRestore):
// they are back at copies + 1 nodes. Peers the membership holds failed
// count as not heard from (a partition may hide the only holder of the
// last periods), and a peer once counted stays so until it answers, even
// if the membership reaps it meanwhile: while any peer is not heard from,
// another round asks those of them that are live, `retry_after` later,
// until `give_up_after` from the first round; then the node finishes with
// what it got and names who did not answer. A restart resumes it (the
// store remembers it is restoring; reads are idempotent).
//
// Engine code: membership, streams and clock from the owner; call Tick()
// often. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gossip/membership.h"
#include "gossip/peer_streams.h"
#include "store/acked_call.h"
#include "store/history_store.h"

namespace shoal::store {

struct RestorerOptions {
  Duration settle = std::chrono::seconds(10);  // after start, for the membership to form
  // ... plus a part of this, by the node's id: a pool started at once
  // (every store new) does not ask all of itself at the same moment.
  Duration spread = std::chrono::seconds(10);
  Duration call_timeout = std::chrono::seconds(5);
  Duration retry_after = std::chrono::seconds(5);
  Duration give_up_after = std::chrono::minutes(2);
  size_t max_in_flight = 4;  // Holdings calls at once
  // A node's name for the log (shoald: from its status); unset: its id.
  std::function<std::string(NodeId)> name_of;
};

struct RestorerCounters {
  uint64_t rounds = 0;
  uint64_t slices = 0;    // answers with rows
  uint64_t rows = 0;      // written (those the store lacked)
  uint64_t failures = 0;  // calls that failed or answers refused
  uint64_t finished = 0;
};

class Restorer {
 public:
  // `done` runs once the rows are back, before the store claims them.
  Restorer(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams, Clock& clock,
           std::function<void()> done, RestorerOptions options = {});
  ~Restorer();

  void Tick();
  const RestorerCounters& counters() const { return counters_; }

 private:
  enum class Phase { kIdle, kAsking, kReading };
  void Ask();
  void OnHoldings(NodeId peer, Result<wire::Response> answer);
  void ReadNext();
  void OnRows(Result<wire::Copy> rows);
  void NextHolder();
  Duration SpreadOf(NodeId self) const;
  void EndRound();
  std::string NameOf(NodeId id) const { return options_.name_of ? options_.name_of(id) : id.ToString(); }

  HistoryStore& store_;
  const gossip::Membership& membership_;
  gossip::PeerStreams& streams_;
  Clock& clock_;
  std::function<void()> done_;
  RestorerOptions options_;
  TimePoint next_round_, first_round_;
  Phase phase_ = Phase::kIdle;
  int rounds_ = 0;
  int64_t before_ms_ = 0, from_ms_ = 0;  // this round's: rows before and from them
  uint64_t round_rows_ = 0;      // written since the restore began
  std::set<NodeId> heard_;       // peers answered (holders: read to the end) since it began
  std::set<NodeId> unanswered_;  // peers not heard from since it began
  std::vector<NodeId> holders_;  // still to read, this round
  std::string cursor_;           // of holders_.front()
  int holder_failures_ = 0;
  AckedCall call_;
  RestorerCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::store
