// The history service every daemon serves to its peers on the peer streams
// (StreamService::kHistory): replication (Append, Copy: accepted only from
// the origin itself, as authenticated by the stream), and the parts of a
// pool-wide query (Holdings, Query), deletion (Delete) and archiving
// (ArchiveRequest, into the service's archive directory).
// Requests are untrusted: bounded by the streams, validated by the store;
// a refusal travels back as the call's error and is counted.
// Not thread-safe: runs on the owner's event loop.
#pragma once

#include <functional>

#include "gossip/peer_streams.h"
#include "store/history_store.h"

namespace shoal::store {

struct ServiceCounters {
  uint64_t served = 0;
  uint64_t refused = 0;
};

class HistoryService {
 public:
  // Told after rows were deleted on a peer's (or this node's) request.
  using DeleteListener = std::function<void(NodeId by, const wire::Delete& request, uint64_t rows)>;

  HistoryService(HistoryStore& store, gossip::PeerStreams& streams, std::string archive_dir = "")
      : store_(store), streams_(streams), archive_dir_(std::move(archive_dir)) {}
  void Register();
  void SetDeleteListener(DeleteListener l) { on_delete_ = std::move(l); }
  // Whether an origin is alive as this node sees it. Copies of an origin's
  // rows are accepted from another node only for an origin that is not
  // (store/custodian.h); without this, only from the origin itself.
  void SetOriginLive(std::function<bool(NodeId)> live) { origin_live_ = std::move(live); }

  // One request from `from` (this node itself for the local part of a
  // pool-wide query).
  Result<wire::Response> Handle(NodeId from, const wire::Request& request);
  HistoryStore& store() { return store_; }
  const ServiceCounters& counters() const { return counters_; }

 private:
  HistoryStore& store_;
  gossip::PeerStreams& streams_;
  std::string archive_dir_;
  DeleteListener on_delete_;
  std::function<bool(NodeId)> origin_live_;
  ServiceCounters counters_;
};

}  // namespace shoal::store
