// What shoal-sim measures on a SimPool: how long a new update takes to reach
// every running node, how old the freshest entry a node holds for a peer
// is, what each node sends and receives, how long a crash takes to be
// noticed by every node, and failures declared about nodes that were fine.
// Updates are tracked for a sample of "probe" origins (every node still
// publishes, so the load is real). Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/percentile.h"
#include "gossip/sim/sim_pool.h"

namespace shoal::sim {

struct PoolReport {
  size_t nodes = 0;
  double loss = 0;
  size_t updates_tracked = 0;
  size_t updates_incomplete = 0;  // never reached every node during the run
  double dissemination_p50_ms = 0;
  double dissemination_p99_ms = 0;
  double dissemination_max_ms = 0;
  double dissemination_p999_ms = 0;
  // Tracked updates that took longer than DESIGN.md's 10,000-node target
  // (300 ms) to reach every node: the tail, counted.
  size_t updates_over_300_ms = 0;
  double freshest_age_p99_ms = 0;
  // How long a node had not heard of a live probe node (running, not
  // declared failed), sampled with the freshness: the slack the timeouts
  // below leave against false suspicions and failures.
  double silence_p99_ms = 0;
  double silence_p999_ms = 0;
  double silence_max_ms = 0;
  double suspect_timeout_ms = 0;  // node 0's at the end (stretched with the pool)
  double failure_timeout_ms = 0;
  double bytes_per_node_per_s = 0;  // sent + received
  double packets_per_node_per_s = 0;
  double entries_received_per_node_per_s = 0;  // entry copies, over the whole run
  double copies_per_new_entry = 0;         // entries received / entries new, in the window
  size_t crashes = 0;
  size_t restarts = 0;
  size_t detections_missing = 0;  // (crashed, observer) pairs never detected (before a restart)
  double detection_p50_ms = 0;
  double detection_p99_ms = 0;
  double detection_max_ms = 0;
  size_t false_failures = 0;       // failed declared about a node that was fine
  size_t false_suspicions = 0;     // suspect declared about a node that was fine
  size_t false_accusations = 0;    // accusations of a node that was fine
  uint64_t refutations = 0;        // accusations refuted, over the whole run
  size_t stalled_declared_failed = 0;
};

class PoolMetrics {
 public:
  // `channel` is the workload channel whose updates are tracked; the first
  // `probes` nodes are the probe origins.
  PoolMetrics(gossip::SimPool& pool, uint32_t channel, size_t probes);

  // Call when a probe node publishes a new version (from its publisher).
  void OnPublish(size_t origin, uint64_t version, TimePoint at);
  // Hooked to the pool's observer and member listener.
  void OnStored(size_t node, uint32_t channel, NodeId origin, uint64_t version);
  void OnMemberEvent(size_t node, const gossip::MemberEvent& ev);

  // Start counting (after warm-up): resets traffic counters' baseline.
  void BeginWindow();
  void SampleFreshness();
  // A crashed node is no longer waited for: an update every other node
  // holds is complete as of the last of them.
  void NoteCrash(size_t node, TimePoint at);
  // The crashed node is back (a new boot): its crash's detections are
  // closed (running observers that never declared it failed count as
  // missing), and a failure declared about it from now on is false.
  void NoteRestart(size_t node);
  // `node` stalls for `length` from `at` (scheduled on the pool); failures
  // declared about it are counted apart from the false ones.
  void ScheduleStall(size_t node, TimePoint at, Duration length);

  PoolReport Finish(double loss);

 private:
  struct Pending {
    uint64_t version;
    TimePoint published;
    size_t reached = 0;
    size_t target = 0;
    TimePoint last_reached{};  // when the last node so far got it
  };
  // Records p's time to every node if it is complete.
  bool Completed(const Pending& p);
  void SampleSilence(size_t observer, size_t subject, TimePoint now);

  gossip::SimPool& pool_;
  uint32_t channel_;
  size_t probes_;
  bool measuring_ = false;
  TimePoint run_start_;
  TimePoint window_start_;
  uint64_t bytes_at_start_ = 0;
  // Each node's (entries received, entries new) when the window began: a
  // pool started formed adopts every entry as new before it.
  std::vector<std::pair<uint64_t, uint64_t>> entries_at_start_;
  uint64_t packets_at_start_ = 0;
  std::vector<std::deque<Pending>> pending_;  // per probe
  std::vector<std::vector<std::pair<uint64_t, TimePoint>>> published_;  // per probe
  std::vector<std::vector<uint64_t>> highest_;  // [node][probe]
  std::vector<double> dissemination_ms_;
  Histogram freshness_ms_;  // samples of every (node, probe) ten times a second
  Histogram silence_ms_;    // the same pairs' silence
  std::unordered_map<size_t, TimePoint> crashed_;
  std::set<std::pair<size_t, size_t>> detected_;  // (crashed, observer)
  std::vector<double> detection_ms_;
  size_t crashes_ = 0, restarts_ = 0, missing_closed_ = 0;  // of crashes closed by a restart
  std::set<size_t> stalled_;
  size_t false_failures_ = 0;
  size_t false_suspicions_ = 0;
  size_t false_accusations_ = 0;
  size_t stalled_failed_ = 0;
};

}  // namespace shoal::sim
