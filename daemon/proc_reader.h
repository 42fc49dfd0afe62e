// Reads a snapshot of processes and sockets from /proc (or from a tree laid
// out like it, for tests): per process its name, command line, parent,
// effective uid and gid, start time, CPU ticks and resident pages; the
// listening TCP and all UDP sockets of IPv4 (IPv6 sockets bound to all
// addresses or to a mapped IPv4 address count as IPv4), from the kernel's
// socket diagnostics for the real /proc and from ROOT/net/* otherwise, and,
// optionally, which process owns each one. Processes that exit while being read are skipped. Thread-safe.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/result.h"
#include "policy/detection.h"

namespace shoal::daemon {

struct ProcReadOptions {
  bool sockets = true;
  // Scan walks every process's fd directory to find socket owners: the
  // costly part of a scan (a readlink per open file). Without it, owners
  // are found on demand (ProcScanner::FindOwners, OwnersOf).
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
//
// Socket owners: a process's fd directory is walked only as far as asked,
// and again only after a full scan or when a scan finds a socket that was
// not there at the previous one and whose owner is not known (so a server
// that binds its port after it starts is classified at the next sample;
// on a server whose processes open new UDP sockets every second, the
// asked-for directories are read every sample).
class ProcScanner {
 public:
  explicit ProcScanner(std::string root = "/proc", ProcReadOptions options = {});
  Result<policy::ProcSnapshot> Scan(bool full);
  // Sets the owner of every socket in `snap` that one of `pids` holds.
  void OwnersOf(policy::ProcSnapshot& snap, std::span<const int> pids);
  // Walks the processes of `snap` until every socket `wanted` selects has
  // an owner (or every process was walked), and sets the owners known.
  void FindOwners(policy::ProcSnapshot& snap, const std::function<bool(const policy::SocketInfo&)>& wanted);

 private:
  void Walk(int root_fd, int pid);
  void SetOwners(policy::ProcSnapshot& snap) const;
  // Remembers the sockets of `snap`; true if one is new and has no owner.
  bool NewSocketWithoutOwner(const policy::ProcSnapshot& snap);
  int OpenRoot() const;

  std::string root_;
  ProcReadOptions options_;
  std::unordered_map<int, policy::ProcessInfo> known_;
  std::unordered_map<uint64_t, int> owners_;  // socket inode -> pid
  std::unordered_set<int> walked_;            // fd directories read since the last full scan
  std::unordered_set<uint64_t> inodes_;       // the sockets of the last scan
};

}  // namespace shoal::daemon
