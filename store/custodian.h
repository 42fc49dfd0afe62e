// Re-replication of a dead node's history. While an origin lives, it keeps
// its own copies (Replicator). Once the membership declares it failed or
// gone, every node that holds its rows ranks the live nodes for it
// (store/placement.h) and makes sure the first copies + 1 of them hold
// every row it has: it asks each (an empty copy, answered with what that
// node holds) and copies everything to one that is behind. So a dead
// server's history is back to as many copies as it had while it lived,
// and each further failure brings it back again. Two holders may copy to
// the same node at once; copies are idempotent. A receiving node accepts
// copies from a non-origin only for an origin it also sees as gone
// (HistoryService::SetOriginLive).
//
// Engine code: membership, streams and clock from the owner; call Tick()
// often. Not thread-safe.
#pragma once

#include <functional>
#include <string>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "core/clock.h"
#include "gossip/membership.h"
#include "gossip/peer_streams.h"
#include "store/acked_call.h"
#include "store/history_store.h"

namespace shoal::store {

struct CustodianOptions {
  int copies = 2;  // as the origins' own: copies + 1 holders in all
  Duration every = std::chrono::seconds(5);
  Duration call_timeout = std::chrono::seconds(5);
  Duration startup_grace = std::chrono::seconds(10);
  size_t max_message_bytes = 1 << 20;
  // A node's name for the log (shoald: from its status); unset: its id.
  std::function<std::string(NodeId)> name_of;
};

struct CustodianCounters {
  uint64_t probes = 0;     // "what do you hold of X?"
  uint64_t slices = 0;     // copy slices sent
  uint64_t completed = 0;  // nodes brought up to date
  uint64_t failures = 0;
};

class Custodian {
 public:
  Custodian(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams, Clock& clock,
            CustodianOptions options = {});
  ~Custodian();

  void Tick();
  const CustodianCounters& counters() const { return counters_; }

 private:
  using Key = std::pair<NodeId, NodeId>;  // origin, target
  struct Job {
    std::string cursor;  // last key copied
    bool probing = true;
    AckedCall call;
  };
  void Plan();
  void Send(const Key& key, Job& job, const Endpoint& to);
  void OnReply(const Key& key, Result<wire::Ack> ack, std::string cursor, bool last);
  std::string NameOf(NodeId id) const { return options_.name_of ? options_.name_of(id) : id.ToString(); }

  HistoryStore& store_;
  const gossip::Membership& membership_;
  gossip::PeerStreams& streams_;
  Clock& clock_;
  CustodianOptions options_;
  TimePoint started_, next_plan_;
  std::map<Key, Job> jobs_;
  std::set<Key> done_;  // up to date (cleared when the origin lives again)
  CustodianCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::store
