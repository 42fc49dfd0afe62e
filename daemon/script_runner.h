// Runs trigger scripts: each in its own process group with the trigger's
// facts added to the environment, standard input from /dev/null and its
// output into the daemon's log, ended (the whole group) when it outlives its
// timeout. Asynchronous on the daemon's io_context; the daemon is never
// blocked by a script. Use from the io_context's thread only.
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

class ScriptRunner {
 public:
  using Done = std::function<void(const ScriptResult&)>;
  explicit ScriptRunner(boost::asio::io_context& io) : io_(io) {}
  ~ScriptRunner();  // ends the scripts still running

  // Fails at once if the script cannot be started (not executable...).
  Status Run(const std::string& script, const std::map<std::string, std::string>& environment, Duration timeout,
             Done done);
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

  boost::asio::io_context& io_;
  std::map<pid_t, Running> running_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace shoal::daemon
