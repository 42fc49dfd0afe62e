// Pool-wide history questions, asked of any node. The node asks every live
// node (itself included) which origins it holds rows of, picks one holder
// per origin (the copy spanning most of the period: of equal ones the
// origin itself while it answers, else the replica holding the most recent
// rows), asks each holder for its origins' rows, and merges: each origin's
// rows come from exactly one copy, so nothing is counted twice. An origin
// whose store was created afresh (removed, found corrupt, or behind its
// replicas after a crash) may have copies with gaps: its rows are asked of
// every holder, and per series and bucket the copy with the most samples
// is kept. A node that does not answer is named in the answer; its origins
// are answered by their replicas. Asked for sums only, the node adds each
// part's rows into them as it arrives and lets the rows go (those of
// origins asked of several holders once the fullest copy is known).
//
// Deletion and archiving go to every live node (each handles its own rows
// and its replicas'); nodes down at the time keep theirs.
// Engine code on the owner's event loop. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gossip/fan_out.h"
#include "gossip/peer_streams.h"
#include "store/history_service.h"
#include "store/series_sum.h"

namespace shoal::store {

using PoolMember = gossip::FanOutMember;

// What a pool question keeps of the rows: all of them, or only their sums
// (store/series_sum.h) taken as each holder's part arrives.
enum class KeepRows { kAll, kPoolSums, kPerNodeSums };

struct PoolAnswer {
  QueryAnswer result;                       // every origin's rows, from one holder each (kAll)
  std::vector<SeriesPoint> points;          // their sums (kPoolSums, kPerNodeSums)
  size_t rows = 0;                          // rows received
  std::map<uint64_t, std::string> names;    // origin -> node name
  std::map<uint64_t, uint64_t> holder;      // origin -> the node that answered for it
  std::vector<std::pair<NodeId, std::string>> failures;  // nodes that did not answer, and why
};

// Every node's answer to a request sent to all of them.
using NodeAnswers = std::vector<std::pair<NodeId, Result<wire::Response>>>;

class PoolQuery {
 public:
  // done / total calls so far, for a progress bar.
  using Progress = std::function<void(size_t done, size_t total)>;
  using Done = std::function<void(Result<PoolAnswer>)>;
  using BroadcastDone = std::function<void(NodeAnswers)>;

  static void Run(HistoryService& local, gossip::PeerStreams& streams, std::vector<PoolMember> peers,
                  SeriesQuery query, Duration timeout, Progress progress, Done done, KeepRows keep = KeepRows::kAll);
  // `request` to every member and this node.
  static void Broadcast(HistoryService& local, gossip::PeerStreams& streams, std::vector<PoolMember> peers,
                        const wire::Request& request, Duration timeout, BroadcastDone done);
};

}  // namespace shoal::store
