// The pipe guard: a small process shoald starts (its own binary with
// --pipe-guard) that holds what the pipes' HTB classes must fall back to
// if shoald dies without handing them back (a crash, SIGKILL, the OOM
// killer): without it the kernel would keep the last credit for ever,
// however the pool re-divides. It reads the fallback from a socket; when
// the socket closes without "bye" (its parent is gone) it sets those
// classes through netlink and exits.
//
// Lines: "class IFINDEX PARENT HANDLE RATE CEIL" (handles as numbers,
// bytes per second), then "commit" makes them the fallback; "bye" ends the
// guard with nothing done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace shoal::daemon {

struct GuardClass {
  int ifindex = 0;
  uint32_t parent = 0, handle = 0;
  uint64_t rate = 0, ceil = 0;  // bytes per second
  bool operator==(const GuardClass&) const = default;
};

class PipeGuard {
 public:
  // Starts `exe --pipe-guard`, its standard input a socket to this process.
  static Result<std::unique_ptr<PipeGuard>> Start(const std::string& exe);
  // Closes the socket: unless dismissed, the guard sets the fallback (an
  // unclean end of the daemon that still ran its destructors); waits for it.
  ~PipeGuard();
  PipeGuard(const PipeGuard&) = delete;
  PipeGuard& operator=(const PipeGuard&) = delete;

  // True once the guard has ended (reaped here; its status in `status`).
  bool Exited(int& status);
  // Makes `table` the fallback (empty: nothing to do).
  Status Send(const std::vector<GuardClass>& table);
  // The classes were handed back: the guard ends with nothing done.
  Status Dismiss() { return Write("bye\n"); }
  pid_t pid() const { return pid_; }

 private:
  PipeGuard(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  Status Write(const std::string& text);
  pid_t pid_;
  int fd_;
};

// The guard's main: reads `in` until "bye" (returns 0) or its end (sets
// the last committed table; 0 if every class was set). At most kMaxGuardClasses.
inline constexpr size_t kMaxGuardClasses = 65536;
int RunPipeGuard(std::istream& in);

}  // namespace shoal::daemon
