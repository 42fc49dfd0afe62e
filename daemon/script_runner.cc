#include "daemon/script_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

extern char** environ;

namespace shoal::daemon {

ScriptRunner::~ScriptRunner() {
  for (auto& [pid, r] : running_) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

Status ScriptRunner::Run(const std::string& script, const std::map<std::string, std::string>& environment,
                         Duration timeout, Done done) {
  if (::access(script.c_str(), X_OK) != 0) {
    return MakeError("script {} cannot be run: {}", script, std::strerror(errno));
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SHOAL_", 6) != 0) env_strings.emplace_back(*e);
  }
  for (const auto& [k, v] : environment) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = script;
  char* argv[] = {arg0.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group, so a timeout ends its children too
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, script.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return MakeError("cannot start {}: {}", script, std::strerror(rc));
  running_.emplace(pid, Running{pid, script, SteadyClock().Now() + timeout, false, std::move(done)});
  if (!timer_) Poll();
  return Status::Ok();
}

void ScriptRunner::Poll() {
  const TimePoint now = SteadyClock().Now();
  for (auto it = running_.begin(); it != running_.end();) {
    Running& r = it->second;
    int status = 0;
    pid_t got = ::waitpid(r.pid, &status, WNOHANG);
    if (got == r.pid) {
      ScriptResult result{r.script, WIFEXITED(status) ? WEXITSTATUS(status) : -1, r.killed};
      Done done = std::move(r.done);
      it = running_.erase(it);
      if (done) done(result);
      continue;
    }
    if (!r.killed && now >= r.deadline) {
      ::kill(-r.pid, SIGKILL);
      r.killed = true;
    }
    ++it;
  }
  if (running_.empty()) {
    timer_.reset();
    return;
  }
  if (!timer_) timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  timer_->expires_after(std::chrono::milliseconds(50));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Poll();
  });
}

}  // namespace shoal::daemon
