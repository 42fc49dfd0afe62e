// Reads a snapshot of processes and sockets from /proc (or from a tree laid
// out like it, for tests): per process its name, command line, parent,
// effective uid and gid, start time, CPU ticks and resident pages; the
// listening TCP and all UDP sockets of IPv4 (IPv6 sockets bound to all
// addresses or to a mapped IPv4 address count as IPv4), from the kernel's
// socket diagnostics for the real /proc and from ROOT/net/* otherwise, and,
// optionally, which process owns each one. Processes that exit while being read are skipped. Thread-safe.
#pragma once

#include <string>
#include <unordered_map>

#include "core/result.h"
#include "policy/detection.h"

namespace shoal::daemon {

struct ProcReadOptions {
  bool sockets = true;
  // Walks every process's fd directory to find socket owners: the costly
  // part of a scan; needed only when flow rules should pull in processes.
  bool socket_owners = true;
};

// Fails only if `root` itself cannot be read.
Result<policy::ProcSnapshot> ReadProcSnapshot(const std::string& root = "/proc",
                                              const ProcReadOptions& options = {});

// Repeated scans. A full scan reads every process; an incremental one lists
// the pids and reads only the processes that appeared since the last scan,
// keeping what it knew of the others (their command line, ids, and their
// CPU ticks and resident pages as of their last read: usage per application
// comes from the cgroups, not from here). An incremental scan misses a
// process that exec'd another program under the same pid, and one whose
// pid was reused between two scans; run a full scan now and then.
class ProcScanner {
 public:
  explicit ProcScanner(std::string root = "/proc", ProcReadOptions options = {});
  Result<policy::ProcSnapshot> Scan(bool full);

 private:
  std::string root_;
  ProcReadOptions options_;
  std::unordered_map<int, policy::ProcessInfo> known_;
  std::unordered_map<uint64_t, int> owners_;  // socket inode -> pid
};

}  // namespace shoal::daemon
