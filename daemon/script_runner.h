// Runs trigger and event scripts: each in its own process group with the
// facts added to the environment, standard input from /dev/null (or a
// short text, e.g. the event as JSON) and its
// output into the daemon's log, ended (the whole group) when it outlives its
// timeout. Asynchronous on the daemon's io_context; the daemon is never
// blocked by a script. Use from the io_context's thread only.
//
// A policy comes from the pool, so the script it names is not trusted: only
// a regular file inside the directory this node's own configuration allows
// (none by default: scripts are off) is run, never one writable by others,
// and it runs as the configured unprivileged user, never as root.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/result.h"

namespace shoal::daemon {

struct ScriptResult {
  std::string script;
  int exit_code = -1;    // -1: killed or did not start
  bool timed_out = false;
};

// What this node allows: the scripts directory and the user they run as.
struct ScriptPermit {
  std::string dir;  // canonical; empty: no script is run
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;

  // Scripts off.
  static ScriptPermit None() { return {}; }
  // Checks that `dir` is a directory and `user` an account other than root.
  static Result<ScriptPermit> Make(const std::string& dir, const std::string& user);
  // The canonical path of `script` if it may run here; otherwise why not.
  Result<std::string> Resolve(const std::string& script) const;
};

class ScriptRunner {
 public:
  using Done = std::function<void(const ScriptResult&)>;
  ScriptRunner(boost::asio::io_context& io, ScriptPermit permit) : io_(io), permit_(std::move(permit)) {}
  ~ScriptRunner();  // ends the scripts still running

  // Fails at once if the script is not permitted (the message starts with
  // "refused") or cannot be started (not executable...). `input`, at most
  // kMaxInput bytes, is the script's standard input (empty: /dev/null).
  static constexpr size_t kMaxInput = 60 << 10;
  Status Run(const std::string& script, const std::map<std::string, std::string>& environment, Duration timeout,
             Done done, const std::string& input = {});
  size_t running() const { return running_.size(); }

 private:
  struct Running {
    pid_t pid;
    std::string script;
    TimePoint deadline;
    bool killed = false;
    Done done;
  };
  void Poll();
  pid_t Spawn(char* const argv[], char* const envp[], int input_fd) const;

  boost::asio::io_context& io_;
  ScriptPermit permit_;
  std::map<pid_t, Running> running_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace shoal::daemon
