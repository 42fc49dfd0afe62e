// The history recorder: this node's part of the pool's history. Each
// sampling period it records the local instances' figures with this node's
// row of the plan (booking and allocation), its pipes' figures and the
// events noted since the last period; it serves the history service to peers, and replicates its
// rows to `copies` peers, keeps custody of failed nodes' rows, and gets
// back its own earlier rows after its store started afresh
// (store/replicator.h, store/custodian.h, store/restorer.h). The store is the owner's: a
// RocksDB on disk in shoald, in memory in the simulator. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/engine/instance.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "policy/cpu_planner.h"
#include "store/custodian.h"
#include "store/history_service.h"
#include "store/history_store.h"
#include "store/replicator.h"
#include "store/restorer.h"

namespace shoal::engine {

struct HistoryOptions {
  int copies = 2;           // replicas on peers (0: none)
  std::string archive_dir;  // where archives are written ("" : no archives)
  gossip::AdminVerifier* admin = nullptr;  // none: no deletions or archives
  std::function<std::string(NodeId)> name_of;  // a node's name for the log; unset: its id
};

class HistoryRecorder {
 public:
  // References must outlive this object.
  HistoryRecorder(store::HistoryStore& store, const HistoryOptions& options, gossip::Gossiper& gossiper,
                  gossip::PeerStreams& streams, Clock& clock, const WallClock& wall);
  ~HistoryRecorder();

  // An event for the next recorded period (beyond kMaxEventsPerPeriod they
  // are counted and dropped).
  void Note(std::string kind, std::string subject, std::string text);
  // Records one period: `local` with this node's row of `plan`, the node's
  // capacity, its pipes' series (pipe_period.h) and the events noted.
  Status Record(const std::vector<LocalInstance>& local, const policy::CpuPlan& plan, uint32_t capacity_m,
                std::vector<store::SeriesSample> pipes = {});
  // Every gossip tick: the service's group commit, replication, custody,
  // restoring.
  void Tick();
  // About once a minute: roll-ups and expiry.
  Status Maintain();
  // Before leaving: peers' held appends are answered now.
  void EndGroupCommit() { service_.EndGroupCommit(); }
  // Periods recorded here that `copies` replicas do not hold yet (0
  // without replication).
  uint64_t ReplicaLag() const;
  // Events dropped since the last call.
  uint64_t TakeDropped() { return std::exchange(dropped_, 0); }

  store::HistoryStore& store() { return store_; }
  store::HistoryService& service() { return service_; }

 private:
  store::HistoryStore& store_;
  gossip::Gossiper& gossiper_;
  const WallClock& wall_;
  store::HistoryService service_;
  std::unique_ptr<store::Replicator> replicator_;
  std::unique_ptr<store::Custodian> custodian_;
  std::unique_ptr<store::Restorer> restorer_;
  std::vector<store::EventRecord> events_;  // for the next recorded period
  uint64_t dropped_ = 0;
};

}  // namespace shoal::engine
