// shoald shaping a pipe on the real kernel: a daemon in a network namespace
// the test creates, a [pipe.uplink] on its veth, a policy pushed with
// shoalctl, UDP senders behind it; what crosses the link is counted at the
// far end (test/support/netns.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/netns.h"
#include "test/support/udp_blast.h"
#include "test/support/pool.h"
#include "test/support/process.h"

using namespace shoal;
using shoal::testing::NetnsPair;

namespace {

constexpr double kCapacity = 400'000, kBooking = 150'000;  // bytes per second

constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <pipe name="uplink" out="400kB" in="400kB"/>
  <application name="web"><flow port="5000-5003" protocol="udp"/></application>
  <policy application="web" priority="1"><bandwidth pipe="uplink" direction="out" rate="150kB"/></policy>
</shoal-policy>
)";


uint64_t Number(const std::string& text) { return text.empty() ? 0 : std::stoull(text); }

// Counter readings with the time each was taken, and the rates between
// them: reading a counter spawns processes (tens of ms on a loaded
// machine), so a sleep of 1 s is not a window of 1 s.
class Rates {
 public:
  template <typename Fn>
  void Read(Fn&& read) {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t v = read();
    readings_.push_back({v, t0 + (std::chrono::steady_clock::now() - t0) / 2});
  }
  // Bytes per second between consecutive readings.
  std::vector<double> PerSecond() const {
    std::vector<double> out;
    for (size_t k = 1; k < readings_.size(); ++k) {
      const std::chrono::duration<double> dt = readings_[k].second - readings_[k - 1].second;
      out.push_back(static_cast<double>(readings_[k].first - readings_[k - 1].first) / dt.count());
    }
    return out;
  }
  std::string Text() const {
    std::string out;
    for (double r : PerSecond()) out += std::to_string(static_cast<uint64_t>(r)) + " ";
    return out;
  }

 private:
  std::vector<std::pair<uint64_t, std::chrono::steady_clock::time_point>> readings_;
};

uint64_t RxBytes(const std::string& ns, const std::string& dev) {
  return Number(NetnsPair::Output(ns, "cat /sys/class/net/" + dev + "/statistics/rx_bytes"));
}

// Bytes a class has sent, from tc -s (the test may read tc; shoald does
// not run it); `device` may be a glob of /sys/class/net.
uint64_t ClassSent(const std::string& ns, const std::string& handle, const std::string& device = "v0") {
  const std::string out =
      NetnsPair::Output(ns, "sh -c 'tc -s class show dev $(cd /sys/class/net && echo " + device + ")'");
  const size_t at = out.find("class htb " + handle + " ");
  const size_t sent = at == std::string::npos ? at : out.find(" Sent ", at);
  if (sent == std::string::npos) return 0;
  const size_t digits = sent + 6;
  return Number(out.substr(digits, out.find(' ', digits) - digits));
}

// The rate of a class from `tc class show`, in bytes per second.
double ClassRate(const std::string& text) {
  const size_t at = text.find(" rate ");
  if (at == std::string::npos) return -1;
  size_t end = at + 6;
  const double value = std::stod(text.substr(end), &end);
  const std::string unit = text.substr(at + 6 + end, text.find(' ', at + 6 + end) - (at + 6 + end));
  const double scale = unit == "Gbit" ? 1e9 : unit == "Mbit" ? 1e6 : unit == "Kbit" ? 1e3 : 1;
  return value * scale / 8;
}

// Bytes of the pipe's incoming traffic that `ns`'s IFB has let through
// (its node class; traffic outside the pipe, gossip, is not counted).
uint64_t IncomingPassed(const std::string& ns) { return ClassSent(ns, "5301:2", "shoalin*"); }

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

// `shoalctl pipes`, asked while every server sends all it can both ways.
void CheckPipesAnswer(const testing::Output& json, const testing::Output& text) {
  INFO(json.text << text.text);
  REQUIRE(json.status == 0);
  CHECK_THAT(text.text, Catch::Contains("uplink out: capacity 400 kB/s"));
  const auto j = nlohmann::json::parse(json.text);
  REQUIRE(j["pipes"].size() == 2);
  for (const auto& p : j["pipes"]) {
    CHECK(p["capacity"].get<double>() == kCapacity);
    CHECK(p["nodes"].size() == 3);
    CHECK(p["rates"]["used"].get<double>() >= 0.85 * kCapacity);
    CHECK(p["rates"]["used"].get<double>() <= 1.03 * kCapacity);
    CHECK(p["rates"]["allocated"].get<double>() <= 1.03 * kCapacity);
  }
  const auto& out = j["pipes"][1];
  CHECK(out["direction"] == "out");
  CHECK(out["apps"][0]["name"] == "web");
  CHECK(out["apps"][0]["booked"].get<double>() == kBooking);
  CHECK(out["apps"][0]["rates"]["used"].get<double>() >= 0.9 * kBooking);
}

// `shoalctl history pipe`: every node recorded its part each second.
void CheckPipeHistory(testing::TestPool& pool) {
  const testing::Output h = pool.CtlUntil("history pipe uplink --since 1m --step 1h --json", 1,
                                          [](const testing::Output& o) { return o.status == 0; }, 20);
  INFO(h.text);
  REQUIRE(h.status == 0);
  std::map<std::string, nlohmann::json> series;
  const auto answer = nlohmann::json::parse(h.text);
  for (const auto& p : answer["points"]) series[p["series"].get<std::string>()] = p;
  REQUIRE(series.count("uplink/out") == 1);
  REQUIRE(series.count("uplink/in") == 1);
  REQUIRE(series.count("uplink/out/web") == 1);
  CHECK(series["uplink/out"]["nodes"] == 3);
  CHECK(series["uplink/out"]["usage_m"].get<double>() > 0.1 * kCapacity);  // the minute's average
  CHECK(series["uplink/out/web"]["booking_m"].get<double>() > 0);
  // The report has a section per pipe and direction, with web's row.
  const testing::Output r = pool.Ctl("report --since 1m", 1);
  INFO(r.text);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.text, Catch::Contains("pipe uplink/in\n") && Catch::Contains("pipe uplink/out\n  capacity   "));
  CHECK_THAT(r.text.substr(r.text.find("pipe uplink/out")), Catch::Contains("  web "));
  // whatif replays the recorded pipe demand under the policy the pool ran:
  // web's booking as it was, its credit never above the pipe.
  const testing::Output w = pool.Ctl("whatif " + pool.dir().File("pipe.xml") + " --since 1m -o json", 1);
  INFO(w.text);
  REQUIRE(w.status == 0);
  const auto wj = nlohmann::json::parse(w.text.substr(w.text.find('{')));  // after warnings (a killed node's replica)
  bool web_out = false;
  for (const auto& e : wj["pipes"]) {
    if (e["pipe"] != "uplink/out" || e["application"] != "web") continue;
    web_out = true;
    CHECK(e["draft"]["booked_bytes_per_s"].get<double>() <= kBooking * 1.01);
    CHECK(e["draft"]["credit_bytes_per_s"].get<double>() <= kCapacity * 1.01);
    CHECK(e["recorded"]["booked_bytes_per_s"].get<double>() > 0);
  }
  CHECK(web_out);
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
  Rates rx;
  uint64_t web0 = 0, web1 = 0;
  ns.InA([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::thread web([end] { testing::Blast(5001, 0x0a4d0002, end); });
    std::thread rogue([end] { testing::Blast(6000, 0x0a4d0002, end); });
    std::this_thread::sleep_for(std::chrono::seconds(1));
    web0 = ClassSent(ns.a, "5301:10");
    for (int k = 0; k < 4; ++k) {
      rx.Read([&] { return RxBytes(ns.b, "v1"); });
      if (k < 3) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    web1 = ClassSent(ns.a, "5301:10");
    web.join();
    rogue.join();
  });
  REQUIRE(rx.PerSecond().size() == 3);
  INFO("bytes received per second: " << rx.Text() << "; web sent " << web1 - web0 << " in 3 s");
  for (double r : rx.PerSecond()) {
    CHECK(r <= 1.02 * kCapacity);
    CHECK(r >= 0.90 * kCapacity);
  }
  CHECK(static_cast<double>(web1 - web0) >= 3 * 0.98 * kBooking);

  // The same document in monitor mode: the classes only count.
  std::string monitor = kPolicy;
  monitor.replace(monitor.find("mode=\"enforce\""), 14, "mode=\"monitor\"");
  Push(pool, "pipe-monitor.xml", monitor);
  CHECK_THAT(WaitForClasses(ns.a, " classid 5301:2", "rate 100Gbit"), Catch::Contains("rate 100Gbit"));
  uint64_t unshaped = 0;
  ns.InA([&] {
    const uint64_t rx0 = RxBytes(ns.b, "v1");
    testing::Blast(5001, 0x0a4d0002, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    unshaped = RxBytes(ns.b, "v1") - rx0;
  });
  INFO("monitor mode: " << unshaped << " bytes in 1 s");
  CHECK(static_cast<double>(unshaped) > 3 * kCapacity);

  // An application known by its processes only: the port its socket holds
  // (UDP 7777 = 0x1e61) becomes a filter to its class once sampled.
  std::string with_backup = kPolicy;
  with_backup.insert(with_backup.find("  <policy "),
                     "  <application name=\"backup\"><process cmdline=\"*shoal-port-test*\"/></application>\n");
  Push(pool, "pipe-backup.xml", with_backup);
  testing::Child holder = testing::Spawn(
      {"/usr/bin/python3", "-c",
       "import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 7777)); "
       "time.sleep(60)",
       "shoal-port-test"},
      ns.a);
  std::string filters;
  for (int i = 0; i < 100 && filters.find("1e610000/ffff0000 at 20") == std::string::npos; ++i) {
    ::usleep(100'000);
    filters = NetnsPair::Output(ns.a, "tc filter show dev v0");
  }
  INFO(filters);
  CHECK_THAT(filters, Catch::Contains("flowid 5301:11") && Catch::Contains("1e610000/ffff0000 at 20"));
  holder.Kill();

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
  // three send 300 kB/s each to the sink (three times the pipe) until the
  // test has measured, and the sink 300 kB/s to each of them (unpaced
  // floods would starve the daemons of this machine's CPU, more so under
  // the sanitizers);
  // the sink counts once a second from the third second on, and so do the
  // servers what their incoming shapers let through.
  std::atomic<bool> running{true};
  std::vector<std::thread> senders;
  senders.emplace_back([&] {
    NetnsPair::Enter(net.sink);
    std::vector<std::thread> to;
    for (uint32_t i = 0; i < 3; ++i) {
      to.emplace_back([&running, i] { testing::Blast(7000, 0x0a4e0102 + (i << 8), running, 6000, 300'000); });
    }
    for (auto& t : to) t.join();
  });
  for (size_t i = 0; i < 3; ++i) {
    senders.emplace_back([&, i] {
      NetnsPair::Enter(net.servers[i]);
      std::thread web;
      if (i == 0) web = std::thread([&running] { testing::Blast(5001, 0x0a4e6402, running, 9, 300'000); });
      testing::Blast(6000, 0x0a4e6402, running, 9, 300'000);
      if (web.joinable()) web.join();
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  Rates rx, in;
  std::vector<uint64_t> web;
  for (int k = 0; k < 4; ++k) {
    rx.Read([&] { return RxBytes(net.sink, "v0"); });
    in.Read([&] { return IncomingPassed(net.servers[0]) + IncomingPassed(net.servers[1]) + IncomingPassed(net.servers[2]); });
    web.push_back(ClassSent(net.servers[0], "5301:10"));
    if (k < 3) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // Any node answers for the whole pool, the senders still running.
  const testing::Output pipes_json = pool.Ctl("pipes --json", 2);
  const testing::Output pipes_text = pool.Ctl("pipes", 1);
  // SIGKILL the third daemon: its guard sets its classes to its static
  // share, and the others keep that aside once they hold it failed.
  pool.node(2).process.Kill();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  Rates after_kill;
  for (int k = 0; k < 2; ++k) {
    after_kill.Read([&] { return RxBytes(net.sink, "v0"); });
    if (k == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  const std::string killed_class = NetnsPair::Output(net.servers[2], "tc class show dev v0 classid 5301:2");
  const testing::Output pipes_after = pool.Ctl("pipes", 0);
  running = false;
  for (auto& t : senders) t.join();
  INFO("bytes received per second: " << rx.Text() << "; web sent " << web.back() - web.front() << " in 3 s");
  INFO("incoming bytes passed per second: " << in.Text());
  for (double r : rx.PerSecond()) {
    CHECK(r <= 1.02 * kCapacity);
    CHECK(r >= 0.90 * kCapacity);
  }
  for (double r : in.PerSecond()) {
    CHECK(r <= 1.02 * kCapacity);
    CHECK(r >= 0.90 * kCapacity);
  }
  CHECK(static_cast<double>(web.back() - web.front()) >= 3 * 0.98 * kBooking);
  CheckPipesAnswer(pipes_json, pipes_text);
  INFO("after the kill: " << after_kill.Text() << "bytes per second; the killed node's class: " << killed_class);
  CHECK(after_kill.PerSecond().at(0) <= 1.02 * kCapacity);
  CHECK(after_kill.PerSecond().at(0) >= 0.90 * kCapacity);
  // Its part of what web's booking leaves (250 kB/s over three), rounded down.
  CHECK(ClassRate(killed_class) <= (kCapacity - kBooking) / 3);
  CHECK(ClassRate(killed_class) >= 0.95 * (kCapacity - kBooking) / 3);
  INFO(pipes_after.text);
  CHECK_THAT(pipes_after.text, Catch::Contains(" (failed) ") && Catch::Contains("kept aside for failed nodes"));
  CheckPipeHistory(pool);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(pool.node(i).process.Stop() == 0);
    CHECK(NetnsPair::Output(net.servers[i], "tc qdisc show dev v0") == before[i]);
  }
}
