// How late the nodes' plans are: for every running node and every origin
// in the pool, whether the status version the node plans from is the
// origin's latest, and if not, since when it has been superseded (the time
// the origin published the next version). A plan reads the live view or
// the installed snapshot epoch (engine::NodeEngine::planned_from_snapshot),
// so this measures either choice the same way. Observe() at least once per
// status period, so that every published version is seen. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>

#include "core/clock.h"
#include "core/node_id.h"
#include "core/percentile.h"
#include "tools/sim/full_pool.h"

namespace shoal::sim {

class PlanLag {
 public:
  // Notes each running origin's latest published version and when it was
  // published.
  void Observe(FullPool& pool);
  // Adds, for every running node and origin, how long the version it plans
  // from has been superseded (0: it is the latest), in milliseconds.
  void Sample(FullPool& pool);

  const Histogram& lag_ms() const { return lag_ms_; }
  uint64_t behind() const { return behind_; }  // samples not on the latest version
  uint64_t samples() const { return lag_ms_.count(); }
  uint64_t from_snapshot() const { return from_snapshot_; }  // node samples planned from a snapshot
  uint64_t node_samples() const { return node_samples_; }

 private:
  // The version `e` planned from for `origin` (0: none); `view` is its
  // pool view, brought up to date once per sample (an update walks every
  // status).
  static uint64_t UsedVersion(const engine::NodeEngine& e, const engine::PoolView& view, NodeId origin);

  std::map<NodeId, std::map<uint64_t, TimePoint>> published_;  // origin -> version -> when
  Histogram lag_ms_;
  uint64_t behind_ = 0, from_snapshot_ = 0, node_samples_ = 0;
};

}  // namespace shoal::sim
