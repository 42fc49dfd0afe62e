// Child processes for tests that run real programs: started by the test,
// ended by their id when the test ends (pass or fail), never anything else.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>

namespace shoal::testing {

// A child process, killed and reaped when the test ends.
struct Child {
  pid_t pid = -1;
  Child() = default;
  explicit Child(pid_t p) : pid(p) {}
  Child(Child&& o) noexcept : pid(o.pid) { o.pid = -1; }
  Child& operator=(Child&& o) noexcept {
    std::swap(pid, o.pid);
    return *this;
  }
  ~Child() { Kill(); }
  void Kill() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  // SIGTERM, then the exit status (-1 if it had to be killed after 10 s).
  int Stop() {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10'000);
    }
    Kill();
    return -1;
  }
};

// How Spawn starts a child beyond its arguments.
struct SpawnOptions {
  std::vector<std::string> env;  // "NAME=VALUE" set in the child
  std::string output;            // a file for its standard output and error (empty: the test's)
};

// Runs argv (argv[0] a path) as a child, inside network namespace `netns`
// if one is named (entered before exec, so the child's id is the program's).
inline Child Spawn(const std::vector<std::string>& argv, const std::string& netns = "",
                   const SpawnOptions& options = {}) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
    if (!options.output.empty()) {
      const int out = ::open(options.output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (out < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(125);
    }
    if (!netns.empty()) {
      const int fd = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return Child(pid);
}

// A child that spins on one CPU until ended.
inline Child SpinOnCpu(int cpu) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
    volatile unsigned long sink = 0;
    for (;;) sink = sink + 1;
  }
  return Child(pid);
}

// A port free for both UDP and TCP right now.
inline uint16_t FreePort() {
  boost::asio::io_context io;
  for (int attempt = 0; attempt < 50; ++attempt) {
    boost::asio::ip::udp::socket u(io, boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    uint16_t port = u.local_endpoint().port();
    boost::system::error_code ec;
    boost::asio::ip::tcp::acceptor t(io);
    t.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) t.bind(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), port), ec);
    if (!ec) return port;
  }
  FAIL("no free port");
  return 0;
}

// The resident set of process `pid` in KiB (0 when it cannot be read).
inline long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long kb = 0;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kb) return kb;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

struct Output {
  int status;
  std::string text;
};

// Runs a shell command, stdout and stderr together.
inline Output RunCommand(const std::string& cmd) {
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(f != nullptr);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace shoal::testing
