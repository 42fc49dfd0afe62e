// Two network namespaces joined by a veth pair, made for one test and
// removed afterwards even when it fails: "a" (interface v0, 10.77.0.1/24)
// and "b" (interface v1, 10.77.0.2/24). Named after the process so parallel
// test processes never share one. Code runs inside "a" on a thread of its
// own (a namespace is a per-thread setting). The test harness may spawn
// ip and tc; the product never does.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace shoal::testing {

class NetnsPair {
 public:
  NetnsPair() {
    static int counter = 0;
    const std::string id = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    a = "shoal-t-" + id + "-a";
    b = "shoal-t-" + id + "-b";
    Run("ip netns add " + a);
    Run("ip netns add " + b);
    Run("ip -n " + a + " link add v0 type veth peer name v1 netns " + b);
    Run("ip -n " + a + " addr add 10.77.0.1/24 dev v0");
    Run("ip -n " + b + " addr add 10.77.0.2/24 dev v1");
    Run("ip -n " + a + " link set v0 up");
    Run("ip -n " + b + " link set v1 up");
    Run("ip -n " + a + " link set lo up");
  }
  ~NetnsPair() {
    (void)std::system(("ip netns del " + a + " 2>/dev/null").c_str());
    (void)std::system(("ip netns del " + b + " 2>/dev/null").c_str());
  }
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  // What a shell command prints inside namespace `ns`.
  static std::string Output(const std::string& ns, const std::string& command) {
    std::string out;
    FILE* f = ::popen(("ip netns exec " + ns + " " + command + " 2>&1").c_str(), "r");
    if (f == nullptr) return out;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    ::pclose(f);
    return out;
  }

  // Runs fn() on a thread inside namespace "a"; rethrows what it throws.
  template <typename Fn>
  void InA(Fn&& fn) const {
    std::exception_ptr failure;
    std::thread t([&] {
      try {
        const int fd = ::open(("/var/run/netns/" + a).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + a);
        ::close(fd);
        fn();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    t.join();
    if (failure) std::rethrow_exception(failure);
  }

  std::string a, b;

 private:
  static void Run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
};

}  // namespace shoal::testing
