#include "daemon/pipe_guard.h"

#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/tc_netlink.h"

extern char** environ;

namespace shoal::daemon {

Result<std::unique_ptr<PipeGuard>> PipeGuard::Start(const std::string& exe) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return MakeError("pipe guard: socketpair: {}", std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  std::string arg0 = exe, arg1 = "--pipe-guard";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    return MakeError("pipe guard: cannot start {}: {}", exe, std::strerror(err));
  }
  return std::unique_ptr<PipeGuard>(new PipeGuard(pid, fds[0]));
}

PipeGuard::~PipeGuard() {
  ::close(fd_);
  int status = 0;
  if (pid_ > 0) (void)::waitpid(pid_, &status, 0);
}

bool PipeGuard::Exited(int& status) {
  if (pid_ <= 0) return true;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

Status PipeGuard::Write(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError("pipe guard {}: {}", pid_, std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status PipeGuard::Send(const std::vector<GuardClass>& table) {
  std::string text;
  for (const GuardClass& c : table) {
    text += fmt::format("class {} {} {} {} {}\n", c.ifindex, c.parent, c.handle, c.rate, c.ceil);
  }
  return Write(text + "commit\n");
}

namespace {

// One "class ..." line, or why not.
Result<GuardClass> ParseClass(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  GuardClass c;
  if (!(in >> word >> c.ifindex >> c.parent >> c.handle >> c.rate >> c.ceil) || word != "class" || c.ifindex <= 0) {
    return MakeError("pipe guard: not a class: '{}'", line.substr(0, 80));
  }
  return c;
}

int SetAll(const std::vector<GuardClass>& table) {
  if (table.empty()) return 0;
  auto tc = TcNetlink::Open();
  if (!tc.ok()) {
    spdlog::error("pipe guard: {}", tc.error().message);
    return 1;
  }
  int failed = 0;
  for (const GuardClass& c : table) {
    if (auto s = (*tc)->SetClass(c.ifindex, c.parent, c.handle, c.rate, c.ceil); !s.ok()) {
      spdlog::error("pipe guard: class {:x} on interface {}: {}", c.handle, c.ifindex, s.error().message);
      ++failed;
    }
  }
  spdlog::warn("pipe guard: shoald is gone; {} pipe class(es) fall back to their static share", table.size() - failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int RunPipeGuard(std::istream& in) {
  std::vector<GuardClass> table, next;
  std::string line;
  while (std::getline(in, line)) {
    if (line == "bye") return 0;
    if (line == "commit") {
      table = std::move(next);
      next.clear();
      continue;
    }
    auto c = ParseClass(line);
    if (!c.ok() || next.size() >= kMaxGuardClasses) {
      spdlog::error("{}", c.ok() ? "pipe guard: too many classes" : c.error().message);
      next.clear();
      continue;
    }
    next.push_back(*c);
  }
  return SetAll(table);
}

}  // namespace shoal::daemon
