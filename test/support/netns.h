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
#include <vector>

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
    In(a, std::forward<Fn>(fn));
  }

  // Runs fn() on a thread inside namespace `ns`; rethrows what it throws.
  template <typename Fn>
  static void In(const std::string& ns, Fn&& fn) {
    std::exception_ptr failure;
    std::thread t([&] {
      try {
        Enter(ns);
        fn();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    t.join();
    if (failure) std::rethrow_exception(failure);
  }

  // Moves the calling thread into namespace `ns` (its new threads follow).
  static void Enter(const std::string& ns) {
    const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + ns);
    ::close(fd);
  }

  static void Run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
  }

  std::string a, b;
};

// A pool's network in namespaces: N servers, each on a link of its own to
// a router, and a sink beyond the router. Server i (0-based) is
// 10.78.(i+1).2 on its interface v0; the sink is 10.78.100.2 on v0; the
// router forwards. Removed afterwards even when the test fails.
class NetnsStar {
 public:
  explicit NetnsStar(size_t count) {
    static int counter = 0;
    const std::string id = "shoal-t-" + std::to_string(::getpid()) + "-s" + std::to_string(counter++);
    router = id + "-r";
    sink = id + "-k";
    Add(router);
    Add(sink);
    NetnsPair::Run("ip netns exec " + router + " sysctl -w net.ipv4.ip_forward=1");
    Link(sink, "10.78.100", 100);
    for (size_t i = 0; i < count; ++i) {
      const std::string ns = id + "-" + std::to_string(i);
      Add(ns);
      Link(ns, "10.78." + std::to_string(i + 1), static_cast<int>(i + 1));
      servers.push_back(ns);
    }
  }
  ~NetnsStar() {
    for (const auto& ns : made_) (void)std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
  }
  NetnsStar(const NetnsStar&) = delete;
  NetnsStar& operator=(const NetnsStar&) = delete;

  static std::string ServerIp(size_t i) { return "10.78." + std::to_string(i + 1) + ".2"; }

  std::vector<std::string> servers;
  std::string router, sink;

 private:
  void Add(const std::string& ns) {
    NetnsPair::Run("ip netns add " + ns);
    made_.push_back(ns);
    NetnsPair::Run("ip -n " + ns + " link set lo up");
  }
  // ns's v0 (NET.2) to the router's rN (NET.1), ns's default route through it.
  void Link(const std::string& ns, const std::string& net, int n) {
    const std::string r = "r" + std::to_string(n);
    NetnsPair::Run("ip -n " + ns + " link add v0 type veth peer name " + r + " netns " + router);
    NetnsPair::Run("ip -n " + ns + " addr add " + net + ".2/24 dev v0");
    NetnsPair::Run("ip -n " + router + " addr add " + net + ".1/24 dev " + r);
    NetnsPair::Run("ip -n " + ns + " link set v0 up");
    NetnsPair::Run("ip -n " + router + " link set " + r + " up");
    NetnsPair::Run("ip -n " + ns + " route add default via " + net + ".1");
  }
  std::vector<std::string> made_;
};

}  // namespace shoal::testing
