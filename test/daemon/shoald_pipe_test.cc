// shoald shaping a pipe on the real kernel: a daemon in a network namespace
// the test creates, a [pipe.uplink] on its veth, a policy pushed with
// shoalctl, UDP senders behind it; what crosses the link is counted at the
// far end (test/support/netns.h).
#include <unistd.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "test/support/netns.h"
#include "test/support/udp_blast.h"
#include "test/support/pool.h"

using namespace shoal;
using shoal::testing::NetnsPair;

namespace {

constexpr double kCapacity = 400'000, kBooking = 150'000;  // bytes per second

constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="400kB"/>
  <application name="web"><flow port="5000-5003" protocol="udp"/></application>
  <policy application="web" priority="1"><bandwidth pipe="uplink" direction="out" rate="150kB"/></policy>
</shoal-policy>
)";


uint64_t Number(const std::string& text) { return text.empty() ? 0 : std::stoull(text); }

// Bytes a class of v0 has sent, from tc -s (the test may read tc; shoald does not run it).
uint64_t ClassSent(const std::string& ns, const std::string& handle) {
  const std::string out = NetnsPair::Output(ns, "tc -s class show dev v0");
  const size_t at = out.find("class htb " + handle + " ");
  const size_t sent = at == std::string::npos ? at : out.find(" Sent ", at);
  if (sent == std::string::npos) return 0;
  const size_t digits = sent + 6;
  return Number(out.substr(digits, out.find(' ', digits) - digits));
}

// What `tc class show dev v0 ARGS` prints in `ns` once it contains `text`
// (or after 10 s).
std::string WaitForClasses(const std::string& ns, const std::string& args, const std::string& text) {
  std::string out;
  for (int i = 0; i < 100 && out.find(text) == std::string::npos; ++i) {
    ::usleep(100'000);
    out = NetnsPair::Output(ns, "tc class show dev v0" + args);
  }
  return out;
}

// Pushes `xml` through node 0, retrying while the pool forms.
void Push(testing::TestPool& pool, const std::string& name, const std::string& xml) {
  const std::string file = pool.dir().Write(name, xml);
  auto pushed = pool.CtlUntil("policy push " + file, 0, [](const testing::Output& o) { return o.status == 0; }, 50);
  REQUIRE(pushed.status == 0);
}

}  // namespace

TEST_CASE("shoald on the real kernel: a pipe held at its capacity, a booking kept, monitor unshaped, handed back [kernel]",
          "[kernel]") {
  NetnsPair ns;
  const std::string before = NetnsPair::Output(ns.a, "tc qdisc show dev v0");
  testing::TestPool pool;
  pool.Place(0, ns.a, "127.0.0.1");
  pool.SetConfig(pool.dir().Write("pipes.toml", "[pipe.uplink]\ninterface = \"v0\"\n"));
  pool.Start(0, {"--enforcer", "off"});
  Push(pool, "pipe.xml", kPolicy);
  REQUIRE_THAT(WaitForClasses(ns.a, "", "5301:10"), Catch::Contains("class htb 5301:10 parent 5301:2"));

  // web (booked 150 kB/s) and an unclaimed port both send all they can for
  // 5 s; the far end counts once a second from the second second on.
  std::vector<uint64_t> rx;
  uint64_t web0 = 0, web1 = 0;
  ns.InA([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::thread web([end] { testing::Blast(5001, 0x0a4d0002, end); });
    std::thread rogue([end] { testing::Blast(6000, 0x0a4d0002, end); });
    std::this_thread::sleep_for(std::chrono::seconds(1));
    web0 = ClassSent(ns.a, "5301:10");
    for (int k = 0; k < 4; ++k) {
      rx.push_back(Number(NetnsPair::Output(ns.b, "cat /sys/class/net/v1/statistics/rx_bytes")));
      if (k < 3) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    web1 = ClassSent(ns.a, "5301:10");
    web.join();
    rogue.join();
  });
  REQUIRE(rx.size() == 4);
  std::string windows;
  for (size_t k = 1; k < rx.size(); ++k) windows += std::to_string(rx[k] - rx[k - 1]) + " ";
  INFO("bytes received per second: " << windows << "; web sent " << web1 - web0 << " in 3 s");
  for (size_t k = 1; k < rx.size(); ++k) {
    CHECK(static_cast<double>(rx[k] - rx[k - 1]) <= 1.02 * kCapacity);
    CHECK(static_cast<double>(rx[k] - rx[k - 1]) >= 0.90 * kCapacity);
  }
  CHECK(static_cast<double>(web1 - web0) >= 3 * 0.98 * kBooking);

  // The same document in monitor mode: the classes only count.
  std::string monitor = kPolicy;
  monitor.replace(monitor.find("mode=\"enforce\""), 14, "mode=\"monitor\"");
  Push(pool, "pipe-monitor.xml", monitor);
  CHECK_THAT(WaitForClasses(ns.a, " classid 5301:2", "rate 100Gbit"), Catch::Contains("rate 100Gbit"));
  uint64_t unshaped = 0;
  ns.InA([&] {
    const uint64_t rx0 = Number(NetnsPair::Output(ns.b, "cat /sys/class/net/v1/statistics/rx_bytes"));
    testing::Blast(5001, 0x0a4d0002, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    unshaped = Number(NetnsPair::Output(ns.b, "cat /sys/class/net/v1/statistics/rx_bytes")) - rx0;
  });
  INFO("monitor mode: " << unshaped << " bytes in 1 s");
  CHECK(static_cast<double>(unshaped) > 3 * kCapacity);

  CHECK(pool.node(0).process.Stop() == 0);
  CHECK(NetnsPair::Output(ns.a, "tc qdisc show dev v0") == before);
}

TEST_CASE("three shoalds share one pipe through a router: the sink never gets more than it, a booking kept [kernel]",
          "[kernel]") {
  testing::NetnsStar net(3);
  std::vector<std::string> before;
  for (const auto& s : net.servers) before.push_back(NetnsPair::Output(s, "tc qdisc show dev v0"));
  testing::TestPool pool;
  pool.SetConfig(pool.dir().Write(
      "pipes.toml", "[pipe.uplink]\ninterface = \"v0\"\ndestinations = [\"10.78.100.0/24\"]\n"));
  for (size_t i = 0; i < 3; ++i) {
    pool.Place(i, net.servers[i], testing::NetnsStar::ServerIp(i));
    pool.Start(i, {"--enforcer", "off"});
  }
  Push(pool, "pipe.xml", kPolicy);
  for (const auto& s : net.servers) {
    REQUIRE_THAT(WaitForClasses(s, "", "5301:10"), Catch::Contains("class htb 5301:10 parent 5301:2"));
  }

  // web (booked 150 kB/s) on the first server and an unclaimed port on all
  // three send all they can to the sink for 6 s; the sink counts once a
  // second from the third second on.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  std::vector<std::thread> senders;
  for (size_t i = 0; i < 3; ++i) {
    senders.emplace_back([&, i] {
      NetnsPair::Enter(net.servers[i]);
      std::thread web;
      if (i == 0) web = std::thread([end] { testing::Blast(5001, 0x0a4e6402, end); });
      testing::Blast(6000, 0x0a4e6402, end);
      if (web.joinable()) web.join();
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::vector<uint64_t> rx;
  std::vector<uint64_t> web;
  for (int k = 0; k < 4; ++k) {
    rx.push_back(Number(NetnsPair::Output(net.sink, "cat /sys/class/net/v0/statistics/rx_bytes")));
    web.push_back(ClassSent(net.servers[0], "5301:10"));
    if (k < 3) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  for (auto& t : senders) t.join();
  std::string windows;
  for (size_t k = 1; k < rx.size(); ++k) windows += std::to_string(rx[k] - rx[k - 1]) + " ";
  INFO("bytes received per second: " << windows << "; web sent " << web.back() - web.front() << " in 3 s");
  for (size_t k = 1; k < rx.size(); ++k) {
    CHECK(static_cast<double>(rx[k] - rx[k - 1]) <= 1.02 * kCapacity);
    CHECK(static_cast<double>(rx[k] - rx[k - 1]) >= 0.90 * kCapacity);
  }
  CHECK(static_cast<double>(web.back() - web.front()) >= 3 * 0.98 * kBooking);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(pool.node(i).process.Stop() == 0);
    CHECK(NetnsPair::Output(net.servers[i], "tc qdisc show dev v0") == before[i]);
  }
}
