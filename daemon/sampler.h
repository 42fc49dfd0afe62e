// The sampler: each low-frequency period, which local processes belong to
// which application (detection over a /proc scan), the ports their
// listening TCP and UDP sockets hold (when the document has flow rules or
// pipes; a socket a process opens later is seen at the next sample, see
// ProcScanner), and how much CPU each application's instance used and wanted since
// the previous sample.
//
// Usage and demand come from the scheduler's own per-thread statistics
// (/proc/PID/task/TID/schedstat: time run and time spent runnable but
// waiting, which includes time held back by a quota): usage is the time
// run, demand the time run plus the time waited, both per second of wall
// time, in millicores. A thread seen for the first time counts from its
// second sample. When a group usage source is given (the enforcer's
// cgroup counters) and counts for an application in both samples, usage
// comes from it instead and demand is that usage plus the waiting. Resident
// memory comes from /proc/PID/statm. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/engine/process_source.h"
#include "daemon/proc_reader.h"
#include "policy/detection.h"

namespace shoal::daemon {

using engine::LocalInstance;

class Sampler final : public engine::ProcessSource {
 public:
  using GroupUsage = std::function<std::optional<uint64_t>(const std::string& app)>;

  Sampler(std::string proc_root, policy::IdResolver resolver);
  // A new policy document: detection starts afresh (sockets are read only
  // if it has flow rules).
  void SetDocument(const policy::PolicyDocument& doc) override;
  void SetGroupUsage(GroupUsage usage) { group_usage_ = std::move(usage); }

  // One sample at `now`; `full` rescans every process (see ProcScanner).
  // Applications with no process are left out. Without applications in
  // the document nothing is read.
  Result<std::vector<LocalInstance>> Sample(TimePoint now, bool full) override;
  // From /proc/loadavg and /proc/meminfo (daemon/host_facts.h).
  Result<engine::HostFacts> Host() override;

 private:
  struct ThreadTimes {
    uint64_t run_ns = 0, wait_ns = 0;
  };
  struct Totals {
    uint64_t run_ns = 0, wait_ns = 0;  // deltas over threads seen twice
  };
  Totals ReadThreads(int pid, std::map<int, ThreadTimes>& seen);

  std::string proc_;
  ProcScanner scanner_;
  bool sockets_ = false;  // the document has flow rules or pipes
  policy::Detector detector_;
  GroupUsage group_usage_;
  std::map<int, ThreadTimes> threads_;          // tid -> last times
  std::map<std::string, uint64_t> group_ns_;    // app -> last group usage
  std::optional<TimePoint> last_;
};

}  // namespace shoal::daemon
