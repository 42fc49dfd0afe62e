// The pool's recorded periods for a replay (policy/replay.h), from the
// history any shoald answers: each application's figures per node and each
// node's capacity, bucket by bucket. A long period is asked for in slices
// so that no answer outgrows the control protocol's limits, and handed on
// a period at a time so that no window is held whole.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "control.pb.h"
#include "core/result.h"
#include "policy/replay.h"
#include "tools/ctl/control_client.h"

namespace shoal::ctl {

// One period per bucket with node figures, in time order; nodes that had
// figures in an earlier bucket and none in this one count as failed in it.
// Instances on nodes without figures in the bucket are left out (the
// planner ignores them too). `pipes`: the applications' parts of each pipe
// direction per node (series PIPE/DIR/APP).
std::vector<policy::RecordedPeriod> PeriodsOf(const daemon::control::HistoryAnswer& apps,
                                              const daemon::control::HistoryAnswer& nodes,
                                              const daemon::control::HistoryAnswer& pipes = {});

// The default step of a replay over [from, to): at most kReplayBuckets
// buckets, and at least a second.
inline constexpr int64_t kReplayBuckets = 1440;
int64_t ReplayStep(int64_t from_ms, int64_t to_ms);

struct Fetched {
  size_t periods = 0;
  int64_t step_ms = 0;                // as the daemon answered (raised to a stored level's span)
  std::vector<std::string> warnings;  // nodes that did not answer, replicas that did
};

using PeriodSink = std::function<void(const policy::RecordedPeriod&)>;

// Asks `target` for the window's history, in slices, and hands each of its
// periods to `sink`, in time order.
Result<Fetched> FetchRecorded(const ControlTarget& target, int64_t from_ms, int64_t to_ms, int64_t step_ms,
                              const PeriodSink& sink);

}  // namespace shoal::ctl
