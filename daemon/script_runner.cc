#include "daemon/script_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <vector>

extern char** environ;

namespace shoal::daemon {

ScriptRunner::~ScriptRunner() {
  for (auto& [pid, r] : running_) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

Result<ScriptPermit> ScriptPermit::Make(const std::string& dir, const std::string& user) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(dir, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec)) {
    return MakeError("triggers.scripts_dir '{}' is not a directory", dir);
  }
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return MakeError("triggers.scripts_user '{}' is not a user on this host", user);
  }
  if (pw.pw_uid == 0) return MakeError("triggers.scripts_user '{}' is root: scripts from policies never run as root", user);
  if (::geteuid() != 0 && ::geteuid() != pw.pw_uid) {
    return MakeError("triggers.scripts_user '{}': shoald is not root, so it can run scripts only as its own user", user);
  }
  return ScriptPermit{canonical.string(), user, pw.pw_uid, pw.pw_gid};
}

Result<std::string> ScriptPermit::Resolve(const std::string& script) const {
  if (dir.empty()) return MakeError("refused {}: this node runs no scripts (set triggers.scripts_dir)", script);
  std::error_code ec;
  auto path = std::filesystem::canonical(script, ec);
  if (ec) return MakeError("refused {}: {}", script, ec.message());
  const std::string p = path.string();
  if (p.compare(0, dir.size(), dir) != 0 || p.size() <= dir.size() + 1 || p[dir.size()] != '/') {
    return MakeError("refused {}: not inside the scripts directory {}", script, dir);
  }
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return MakeError("refused {}: not a regular file", script);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return MakeError("refused {}: writable by group or others", script);
  }
  return p;
}

namespace {

// A pipe holding `input` whose read end becomes the script's standard
// input; -1 with errno on failure. The text fits the pipe's buffer, so
// writing never waits for the script.
int InputPipe(const std::string& input) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  const ssize_t n = ::write(fds[1], input.data(), input.size());
  const int saved = errno;
  ::close(fds[1]);
  if (n != static_cast<ssize_t>(input.size())) {
    ::close(fds[0]);
    errno = n < 0 ? saved : EMSGSIZE;
    return -1;
  }
  return fds[0];
}

}  // namespace

Status ScriptRunner::Run(const std::string& script, const std::map<std::string, std::string>& environment,
                         Duration timeout, Done done, const std::string& input) {
  if (input.size() > kMaxInput) return MakeError("refused {}: {} bytes of input, over {}", script, input.size(), kMaxInput);
  auto path = permit_.Resolve(script);
  if (!path.ok()) return path.error();
  if (::access(path->c_str(), X_OK) != 0) {
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
  std::string arg0 = *path;
  char* argv[] = {arg0.data(), nullptr};
  const int input_fd = input.empty() ? -1 : InputPipe(input);
  if (!input.empty() && input_fd < 0) return MakeError("cannot start {}: input pipe: {}", script, std::strerror(errno));
  const pid_t pid = Spawn(argv, envp.data(), input_fd);
  const int spawn_errno = errno;
  if (input_fd >= 0) ::close(input_fd);
  if (pid < 0) return MakeError("cannot start {}: {}", script, std::strerror(spawn_errno));
  running_.emplace(pid, Running{pid, script, SteadyClock().Now() + timeout, false, std::move(done)});
  if (!timer_) Poll();
  return Status::Ok();
}

// fork, then in the child only async-signal-safe calls: its own process
// group, stdin from `input_fd` (or /dev/null when -1), no other descriptor
// of the daemon's, the permitted user's ids, exec.
pid_t ScriptRunner::Spawn(char* const argv[], char* const envp[], int input_fd) const {
  const uid_t uid = permit_.uid;
  const gid_t gid = permit_.gid;
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setpgid(0, 0);
  const int in = input_fd >= 0 ? input_fd : ::open("/dev/null", O_RDONLY);
  if (in < 0 || ::dup2(in, 0) < 0) ::_exit(126);
  // Nothing of the daemon's (sockets, the store's files) reaches the script.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  }
  if (::geteuid() == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
  } else if (::geteuid() != uid) {
    // Not root: the daemon cannot switch users; it runs scripts only as
    // itself, and only when it is the configured user.
    ::_exit(126);
  }
  ::execve(argv[0], argv, envp);
  ::_exit(127);
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
