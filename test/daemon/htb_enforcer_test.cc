// The HTB pipe enforcer on the real kernel, inside network namespaces the
// test creates (test/support/netns.h): classes, filters from the flow
// rules, rates held, counters read back, adoption, refusal of a foreign
// qdisc, and the interface handed back exactly as it was.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "daemon/htb_enforcer.h"
#include "daemon/pipe_guard.h"
#include "test/support/netns.h"
#include "test/support/udp_blast.h"

using namespace shoal;
using namespace shoal::daemon;
using shoal::testing::Blast;
using shoal::testing::NetnsPair;

namespace {

const engine::PipeLane kUplink{"uplink", policy::Direction::kOut};
const engine::PipeLane kDownlink{"uplink", policy::Direction::kIn};
constexpr uint32_t kFar = 0x0a4d0002;   // 10.77.0.2, namespace b
constexpr uint32_t kNear = 0x0a4d0001;  // 10.77.0.1, namespace a

std::chrono::steady_clock::time_point Soon(int ms) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

policy::PolicyDocument Document() {
  policy::PolicyDocument doc;
  policy::ApplicationSpec web;
  web.name = "web";
  web.flows.push_back({std::pair<uint16_t, uint16_t>{5000, 5003}, std::nullopt, policy::Protocol::kUdp, 0});
  doc.applications.push_back(web);
  return doc;
}

PipePlacement Uplink() {
  PipePlacement p;
  p.pipe = "uplink";
  p.interface = "v0";
  p.exclude = {*Ipv4Prefix::Parse("10.77.0.99")};
  return p;
}


uint64_t BytesOf(const std::vector<engine::LaneCounters>& lanes, const std::string& app) {
  for (const auto& l : lanes) {
    for (const auto& c : l.classes) {
      if (c.app == app) return c.bytes;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("HTB enforcer: an application's class holds its rate, counts, and the interface is handed back [kernel]",
          "[kernel]") {
  NetnsPair ns;
  const std::string before = NetnsPair::Output(ns.a, "tc qdisc show dev v0");
  std::string during, error, handed_back;
  uint64_t web_bytes = 0, rogue_bytes = 0, held = 0;
  bool adopted = false;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    if (!e.ok()) return void(error = e.error().message);
    HtbEnforcer& h = **e;
    if (!h.Carries(kUplink) || !h.Carries({"uplink", policy::Direction::kIn}) ||
        h.Carries({"other", kUplink.direction})) {
      return void(error = "wrong lanes carried");
    }
    (void)h.SetDocument(Document());
    // The node 400 KB/s; web 100 KB/s and no borrowing; rogue the rest.
    engine::LaneSetting s{kUplink, 400'000, {{"web", 100'000, 100'000}, {engine::kRogueClass, 300'000, 400'000}}};
    if (auto st = h.Apply({s}); !st.ok()) return void(error = st.error().message);
    during = NetnsPair::Output(ns.a, "tc class show dev v0");
    Blast(5002, kFar, Soon(300));  // fills the queue
    auto r0 = h.Read();
    Blast(5002, kFar, Soon(1000));
    auto r1 = h.Read();
    Blast(6000, kFar, Soon(300));  // a port no application claims
    auto r2 = h.Read();
    if (!r0.ok() || !r1.ok() || !r2.ok()) return void(error = "counters not read");
    web_bytes = BytesOf(*r1, "web") - BytesOf(*r0, "web");
    rogue_bytes = BytesOf(*r2, engine::kRogueClass);
    for (const auto& c : (*r1)[0].classes) held += c.app == "web" ? c.drops + c.backlog_bytes : 0;
    // A second enforcer (a restarted shoald) adopts the tree.
    auto again = HtbEnforcer::Create({Uplink()});
    (void)(*again)->SetDocument(Document());
    auto adopt = (*again)->Apply({s});
    adopted = adopt.ok();
    if (!adopted) error = "adopting: " + adopt.error().message;
    // A document without the pipe: the interface is handed back.
    if (auto st = (*again)->Apply({}); !st.ok()) error = st.error().message;
    handed_back = NetnsPair::Output(ns.a, "tc qdisc show dev v0");
    if (auto st = (*again)->Release(); !st.ok()) error = st.error().message;
  });
  INFO(error);
  CHECK(error.empty());
  CHECK_THAT(during, Catch::Contains("class htb 5301:10 parent 5301:2"));
  // 100 KB/s for one second, headers and HTB's bucket allowing some slack.
  CHECK(web_bytes >= 85'000);
  CHECK(web_bytes <= 115'000);
  CHECK(held > 0);  // web's queue holds what it could not send
  CHECK(rogue_bytes > 50'000);
  CHECK(adopted);
  CHECK(handed_back == before);
  CHECK(NetnsPair::Output(ns.a, "tc qdisc show dev v0") == before);
}

TEST_CASE("HTB enforcer: the ports an application's sockets hold classify its traffic, kept in step [kernel]",
          "[kernel]") {
  NetnsPair ns;
  std::string error, first, second;
  uint64_t on_port = 0, after_move = 0, rogue = 0;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    if (!e.ok()) return void(error = e.error().message);
    HtbEnforcer& h = **e;
    policy::PolicyDocument doc = Document();
    doc.applications.push_back({});
    doc.applications.back().name = "backup";  // no flow rules: only its sockets say which traffic is its
    (void)h.SetDocument(doc);
    engine::LaneSetting s{kUplink, 0, {{"web", 0, 0}, {"backup", 0, 0}, {engine::kRogueClass, 0, 0}}};
    if (auto st = h.Apply({s}); !st.ok()) return void(error = st.error().message);
    const engine::LocalPort udp7777{policy::Protocol::kUdp, 7777}, udp7778{policy::Protocol::kUdp, 7778};
    if (auto st = h.SetPorts({{"backup", {udp7777}}}); !st.ok()) return void(error = st.error().message);
    first = NetnsPair::Output(ns.a, "tc filter show dev v0");
    auto r0 = h.Read();
    Blast(7777, kFar, Soon(200));
    auto r1 = h.Read();
    // The socket moved: 7777 is nobody's now.
    if (auto st = h.SetPorts({{"backup", {udp7778}}}); !st.ok()) return void(error = st.error().message);
    second = NetnsPair::Output(ns.a, "tc filter show dev v0");
    Blast(7777, kFar, Soon(200));
    auto r2 = h.Read();
    if (!r0.ok() || !r1.ok() || !r2.ok()) return void(error = "counters not read");
    on_port = BytesOf(*r1, "backup") - BytesOf(*r0, "backup");
    after_move = BytesOf(*r2, "backup") - BytesOf(*r1, "backup");
    rogue = BytesOf(*r2, engine::kRogueClass) - BytesOf(*r1, engine::kRogueClass);
    if (auto st = h.Release(); !st.ok()) error = st.error().message;
  });
  INFO(error);
  CHECK(error.empty());
  INFO(first << "\n" << second);
  CHECK(on_port > 100'000);
  CHECK(after_move == 0);
  CHECK(rogue > 100'000);
  // Source port 7777 = 0x1e61, then 7778 = 0x1e62, each set under the
  // other priority than the one before (made before the old one goes).
  CHECK_THAT(first, Catch::Contains("pref 4 u32") && Catch::Contains("1e610000/ffff0000 at 20"));
  CHECK_THAT(second, Catch::Contains("pref 3 u32") && Catch::Contains("1e620000/ffff0000 at 20"));
  CHECK_THAT(second, !Catch::Contains("pref 4 u32") && !Catch::Contains("1e610000"));
}

TEST_CASE("HTB enforcer: a booked class idle at a tiny credit gets its new rate at once, sharing its node [kernel]",
          "[kernel]") {
  NetnsPair ns;
  std::string error;
  uint64_t web = 0, rogue = 0;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    if (!e.ok()) return void(error = e.error().message);
    HtbEnforcer& h = **e;
    (void)h.SetDocument(Document());
    // web idle (no credit) while rogue has the node; one stray packet of web's.
    engine::LaneSetting idle{kUplink, 400'000, {{"web", 1, 400'000, true}, {engine::kRogueClass, 400'000, 400'000}}};
    if (auto st = h.Apply({idle}); !st.ok()) return void(error = st.error().message);
    Blast(5001, kFar, Soon(20));
    ::usleep(200'000);
    // Then web's booking: 300 kB/s of the node's 400; both send all they can.
    engine::LaneSetting booked{kUplink, 400'000,
                               {{"web", 300'000, 400'000, true}, {engine::kRogueClass, 100'000, 400'000}}};
    if (auto st = h.Apply({booked}); !st.ok()) return void(error = st.error().message);
    std::thread other([] { Blast(6000, kFar, Soon(1300)); });
    Blast(5001, kFar, Soon(300));  // fills the queues
    auto r0 = h.Read();
    Blast(5001, kFar, Soon(1000));
    auto r1 = h.Read();
    other.join();
    if (!r0.ok() || !r1.ok()) return void(error = "counters not read");
    web = BytesOf(*r1, "web") - BytesOf(*r0, "web");
    rogue = BytesOf(*r1, engine::kRogueClass) - BytesOf(*r0, engine::kRogueClass);
    if (auto st = h.Release(); !st.ok()) error = st.error().message;
  });
  INFO(error);
  CHECK(error.empty());
  INFO("in 1 s: web " << web << ", rogue " << rogue);
  CHECK(web >= 0.95 * 300'000);
}

TEST_CASE("HTB enforcer: a renamed interface is handed back, not fatal, and taken again when it is back [kernel]",
          "[kernel]") {
  NetnsPair ns;
  const std::string qdiscs_before = NetnsPair::Output(ns.a, "tc qdisc show");
  const std::string links_before = NetnsPair::Output(ns.a, "ip -o link show");
  std::string error, renamed, back;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    if (!e.ok()) return void(error = e.error().message);
    HtbEnforcer& h = **e;
    (void)h.SetDocument(Document());
    const std::vector<engine::LaneSetting> both = {
        {kUplink, 400'000, {{"web", 100'000, 400'000}, {engine::kRogueClass, 100'000, 400'000}}},
        {kDownlink, 400'000, {{"web", 100'000, 400'000}, {engine::kRogueClass, 100'000, 400'000}}}};
    if (auto st = h.Apply(both); !st.ok()) return void(error = st.error().message);
    (void)NetnsPair::Output(ns.a, "sh -c 'ip link set v0 down && ip link set v0 name v9 && ip link set v9 up'");
    if (auto st = h.Apply(both); !st.ok()) return void(error = "renamed: " + st.error().message);
    if (auto r = h.Read(); !r.ok() || !r->empty()) return void(error = "counters of a lane whose interface went");
    renamed = NetnsPair::Output(ns.a, "tc qdisc show") + NetnsPair::Output(ns.a, "ip -o link show");
    (void)NetnsPair::Output(ns.a, "sh -c 'ip link set v9 down && ip link set v9 name v0 && ip link set v0 up'");
    if (auto st = h.Apply(both); !st.ok()) return void(error = "back: " + st.error().message);
    back = NetnsPair::Output(ns.a, "tc qdisc show");
    if (auto st = h.Release(); !st.ok()) error = st.error().message;
  });
  INFO(error);
  CHECK(error.empty());
  INFO(renamed);
  CHECK_THAT(renamed, !Catch::Contains("htb 5301:") && !Catch::Contains("ingress") && !Catch::Contains("shoalin"));
  INFO(back);
  CHECK_THAT(back, Catch::Contains("qdisc htb 5301: dev v0") && Catch::Contains("qdisc ingress ffff: dev v0"));
  CHECK(NetnsPair::Output(ns.a, "tc qdisc show") == qdiscs_before);
  CHECK(NetnsPair::Output(ns.a, "ip -o link show") == links_before);
}

TEST_CASE("HTB enforcer: an interface with a qdisc of its own is not taken [kernel]", "[kernel]") {
  NetnsPair ns;
  (void)NetnsPair::Output(ns.a, "tc qdisc add dev v0 root handle 1: tbf rate 1mbit burst 10kb latency 50ms");
  const std::string before = NetnsPair::Output(ns.a, "tc qdisc show dev v0");
  std::string error;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    (void)(*e)->SetDocument(Document());
    auto st = (*e)->Apply({engine::LaneSetting{kUplink, 0, {{"web", 0, 0}}}});
    error = st.ok() ? "" : st.error().message;
  });
  CHECK_THAT(error, Catch::Contains("interface v0 has a root qdisc of its own (tbf 1:)"));
  CHECK(NetnsPair::Output(ns.a, "tc qdisc show dev v0") == before);
}

TEST_CASE("HTB enforcer: incoming traffic is shaped on an IFB device, adopted, and handed back [kernel]", "[kernel]") {
  NetnsPair ns;
  const std::string qdiscs_before = NetnsPair::Output(ns.a, "tc qdisc show");
  const std::string links_before = NetnsPair::Output(ns.a, "ip -o link show");
  std::string during, error, handed_back_qdiscs, handed_back_links;
  uint64_t web_bytes = 0, rogue_bytes = 0;
  // From namespace b to a's local port `port`.
  auto send_in = [&](uint16_t port, int ms) { NetnsPair::In(ns.b, [&] { Blast(7000, kNear, Soon(ms), port); }); };
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    if (!e.ok()) return void(error = e.error().message);
    HtbEnforcer& h = **e;
    (void)h.SetDocument(Document());
    engine::LaneSetting s{kDownlink, 400'000, {{"web", 100'000, 100'000}, {engine::kRogueClass, 300'000, 400'000}}};
    if (auto st = h.Apply({s}); !st.ok()) return void(error = st.error().message);
    during = NetnsPair::Output(ns.a, "tc qdisc show") + NetnsPair::Output(ns.a, "tc filter show dev v0 ingress");
    send_in(5002, 300);  // web's local port: fills the queue
    auto r0 = h.Read();
    send_in(5002, 1000);
    auto r1 = h.Read();
    send_in(6000, 300);  // a port no application claims
    auto r2 = h.Read();
    if (!r0.ok() || !r1.ok() || !r2.ok() || r1->empty()) return void(error = "counters not read");
    if ((*r1)[0].lane.direction != policy::Direction::kIn) error = "counters of the wrong direction";
    web_bytes = BytesOf(*r1, "web") - BytesOf(*r0, "web");
    rogue_bytes = BytesOf(*r2, engine::kRogueClass);
    auto again = HtbEnforcer::Create({Uplink()});  // a restarted shoald adopts the redirect and the IFB
    (void)(*again)->SetDocument(Document());
    if (auto st = (*again)->Apply({s}); !st.ok()) return void(error = "adopting: " + st.error().message);
    if (auto st = (*again)->Release(); !st.ok()) error = st.error().message;
    handed_back_qdiscs = NetnsPair::Output(ns.a, "tc qdisc show");
    handed_back_links = NetnsPair::Output(ns.a, "ip -o link show");
  });
  INFO(error);
  CHECK(error.empty());
  INFO(during);
  CHECK_THAT(during, Catch::Contains("qdisc htb 5301: dev shoalin"));
  CHECK_THAT(during, Catch::Contains("qdisc ingress ffff: dev v0"));
  CHECK_THAT(during, Catch::Contains("Egress Redirect to device shoalin"));
  CHECK(web_bytes >= 85'000);
  CHECK(web_bytes <= 115'000);
  CHECK(rogue_bytes > 50'000);
  CHECK(handed_back_qdiscs == qdiscs_before);
  CHECK(handed_back_links == links_before);
}

TEST_CASE("HTB enforcer: an interface with an ingress qdisc of its own keeps it [kernel]", "[kernel]") {
  NetnsPair ns;
  (void)NetnsPair::Output(ns.a, "tc qdisc add dev v0 ingress");
  const std::string before = NetnsPair::Output(ns.a, "tc qdisc show");
  std::string error;
  ns.InA([&] {
    auto e = HtbEnforcer::Create({Uplink()});
    (void)(*e)->SetDocument(Document());
    auto st = (*e)->Apply({engine::LaneSetting{kDownlink, 0, {{"web", 0, 0}}}});
    error = st.ok() ? "" : st.error().message;
  });
  CHECK_THAT(error, Catch::Contains("interface v0 has an ingress qdisc of its own"));
  CHECK(NetnsPair::Output(ns.a, "tc qdisc show") == before);
}

TEST_CASE("HTB enforcer: the guard process sets the fallback when the enforcer goes without a Release [kernel]",
          "[kernel]") {
  NetnsPair ns;
  std::string error, before_crash, after_crash, dismissed;
  ns.InA([&] {
    engine::LaneSetting credit{kUplink, 400'000, {{"web", 300'000, 400'000}, {engine::kRogueClass, 100'000, 400'000}}};
    engine::LaneSetting fallback{kUplink, 100'000, {{"web", 60'000, 100'000}, {engine::kRogueClass, 1, 100'000}}};
    {
      auto e = HtbEnforcer::Create({Uplink()}, SHOALD_BINARY);
      (void)(*e)->SetDocument(Document());
      if (auto st = (*e)->Apply({credit}); !st.ok()) return void(error = st.error().message);
      if (auto st = (*e)->SetFallback({fallback}); !st.ok()) return void(error = st.error().message);
      // A guard that dies (killed by someone) is replaced at the next round,
      // with the table.
      const pid_t first = (*e)->guard_pid();
      if (first <= 0 || ::kill(first, SIGKILL) != 0) return void(error = "no guard to kill");
      ::usleep(100'000);
      if (auto st = (*e)->Apply({credit}); !st.ok()) return void(error = st.error().message);
      if ((*e)->guard_pid() <= 0 || (*e)->guard_pid() == first) return void(error = "the guard was not replaced");
      before_crash = NetnsPair::Output(ns.a, "tc class show dev v0 classid 5301:2");
    }  // gone without a Release, as a crashed shoald
    after_crash = NetnsPair::Output(ns.a, "tc class show dev v0");
    // A clean stop dismisses the guard: the interface is handed back, nothing set after.
    auto e = HtbEnforcer::Create({Uplink()}, SHOALD_BINARY);
    (void)(*e)->SetDocument(Document());
    (void)(*e)->Apply({credit});
    (void)(*e)->SetFallback({fallback});
    if (auto st = (*e)->Release(); !st.ok()) error = st.error().message;
    dismissed = NetnsPair::Output(ns.a, "tc qdisc show dev v0");
  });
  INFO(error);
  CHECK(error.empty());
  CHECK_THAT(before_crash, Catch::Contains("rate 3200Kbit ceil 3200Kbit"));
  INFO(after_crash);
  CHECK_THAT(after_crash, Catch::Contains("class htb 5301:2 parent 5301:1 rate 800Kbit ceil 800Kbit"));
  CHECK_THAT(after_crash, Catch::Contains("class htb 5301:10 parent 5301:2 leaf 5400: prio 0 rate 480Kbit ceil 800Kbit"));
  CHECK_THAT(dismissed, !Catch::Contains("htb"));
}

TEST_CASE("pipe guard: committed tables only, a bad line refused, bye leaves everything alone") {
  // Without a committed table, the end of input sets nothing (no netlink needed).
  std::istringstream uncommitted("class 3 1 2 100 100\n");
  CHECK(RunPipeGuard(uncommitted) == 0);
  std::istringstream bad("class 3 x 2 100 100\nclass -1 1 2 1 1\ncommit\n");
  CHECK(RunPipeGuard(bad) == 0);  // the bad lines were dropped: an empty table
  std::istringstream bye("class 999999 1 2 100 100\ncommit\nbye\n");
  CHECK(RunPipeGuard(bye) == 0);
  std::istringstream missing("class 999999 1 2 100 100\ncommit\n");
  CHECK(RunPipeGuard(missing) == 1);  // no such interface: said, and the exit status shows it
}
