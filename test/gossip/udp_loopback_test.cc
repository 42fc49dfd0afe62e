// Real UDP sockets on 127.0.0.1: several Gossipers on one io_context, ticked
// by real timers. This is the one gossip test that runs on real time,
// because it tests the real transport; it stops by itself within seconds.
#include <sys/resource.h>

#include <thread>

#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>

#include "gossip/gossiper.h"
#include "gossip/net/udp_transport.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

struct RealNode {
  std::unique_ptr<UdpTransport> transport;
  std::unique_ptr<Random> random;
  std::unique_ptr<Gossiper> gossiper;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

}  // namespace

TEST_CASE("several real UDP endpoints on loopback form a pool and converge") {
  constexpr size_t kNodes = 5;
  constexpr uint32_t kChannel = 10;
  boost::asio::io_context io;
  SteadyClock clock;
  Keyring keyring;
  keyring.Add(Keyring::Generate());
  GossipConfig config = GossipConfig::LocalTest();
  std::vector<RealNode> nodes(kNodes);
  for (size_t i = 0; i < kNodes; ++i) {
    auto t = UdpTransport::Open(io, Endpoint{0x7f000001, 0});  // a free port
    REQUIRE(t.ok());
    nodes[i].transport = std::move(*t);
  }
  const Endpoint seed = nodes[0].transport->local_endpoint();
  for (size_t i = 0; i < kNodes; ++i) {
    RealNode& n = nodes[i];
    n.random = std::make_unique<Random>(i + 1);
    n.gossiper = std::make_unique<Gossiper>(
        config, NodeIdentity{NodeId{100 + i}, 1, n.transport->local_endpoint()}, clock, *n.random,
        *n.transport, keyring);
    n.gossiper->SetSeeds({seed});
    REQUIRE(n.gossiper
                ->RegisterChannel(ChannelSpec{kChannel, "status", config.period, 32},
                                  [i] { return std::optional<std::string>("from " + std::to_string(i)); },
                                  nullptr)
                .ok());
    n.timer = std::make_unique<boost::asio::steady_timer>(io);
  }
  auto converged = [&] {
    for (auto& n : nodes) {
      auto v = n.gossiper->View(kChannel);
      for (size_t j = 0; j < kNodes; ++j) {
        const StoredEntry* e = v.Find(NodeId{100 + j});
        if (e == nullptr || e->payload != "from " + std::to_string(j)) return false;
      }
    }
    return true;
  };
  bool done = false;
  std::function<void(size_t)> tick = [&](size_t i) {
    nodes[i].timer->expires_after(config.period);
    nodes[i].timer->async_wait([&, i](const boost::system::error_code& ec) {
      if (ec || done) return;
      nodes[i].gossiper->Tick();
      if (i == 0 && converged()) {
        done = true;
        io.stop();
        return;
      }
      tick(i);
    });
  };
  for (size_t i = 0; i < kNodes; ++i) tick(i);
  boost::asio::steady_timer deadline(io);
  deadline.expires_after(std::chrono::seconds(10));
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  io.run();
  REQUIRE(done);
  for (auto& n : nodes) {
    REQUIRE(n.gossiper->membership().live_count() == kNodes);
    REQUIRE(n.gossiper->counters().dropped_total() == 0);
    REQUIRE(n.gossiper->counters().packets_accepted > 0);
  }
}

TEST_CASE("a polled UDP transport delivers what waited in the socket, in order, with how long it waited") {
  boost::asio::io_context io;
  auto polled = UdpTransport::Open(io, Endpoint{0x7f000001, 0}, UdpTransport::Mode::kPolled);
  auto sender = UdpTransport::Open(io, Endpoint{0x7f000001, 0});
  REQUIRE(polled.ok());
  REQUIRE(sender.ok());
  std::vector<std::string> got;
  std::vector<Duration> waits;
  Endpoint from_seen;
  (*polled)->SetReceiver([&](const Endpoint& from, std::span<const uint8_t> d, Duration waited) {
    from_seen = from;
    got.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    waits.push_back(waited);
  });
  REQUIRE((*polled)->Poll() == 0);
  // Loopback delivery is immediate but not synchronous; the datagrams then
  // wait in the socket, and the kernel's receive timestamps say how long.
  // On a loaded machine the kernel may itself hand them to the socket late
  // (its receive work waits for a CPU, and the stamp with it): then the
  // round is tried again. Without receive timestamps every wait is 0.
  Duration longest = Duration::zero();
  for (int round = 0; round < 5 && longest < std::chrono::milliseconds(50); ++round) {
    got.clear();
    waits.clear();
    // More than one batch of the transport's multi-datagram reads.
    for (int i = 0; i < 20; ++i) {
      const std::string msg = "datagram " + std::to_string(i);
      (*sender)->Send((*polled)->local_endpoint(),
                      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    for (int tries = 0; got.size() < 20 && tries < 100; ++tries) {
      (*polled)->Poll();
      if (got.size() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(got.size() == 20);
    REQUIRE(got.front() == "datagram 0");
    REQUIRE(got.back() == "datagram 19");
    REQUIRE(from_seen == (*sender)->local_endpoint());
    for (Duration w : waits) {
      REQUIRE(w >= Duration::zero());
      REQUIRE(w < std::chrono::seconds(1));
      longest = std::max(longest, w);
    }
  }
  REQUIRE(longest >= std::chrono::milliseconds(50));
  REQUIRE((*polled)->Poll() == 0);

  // A datagram larger than any accepted arrives one byte over the limit,
  // not cut to a plausible size, so the exchange drops it as oversized.
  const std::string big(kMaxDatagramBytes + 500, 'b');
  (*sender)->Send((*polled)->local_endpoint(),
                  std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(big.data()), big.size()));
  got.clear();
  for (int tries = 0; got.empty() && tries < 100; ++tries) {
    if ((*polled)->Poll() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].size() == kMaxDatagramBytes + 1);
}

TEST_CASE("datagrams waiting for a polled UDP transport do not wake its io_context") {
  boost::asio::io_context io;
  auto polled = UdpTransport::Open(io, Endpoint{0x7f000001, 0}, UdpTransport::Mode::kPolled);
  boost::asio::io_context sender_io;
  auto sender = UdpTransport::Open(sender_io, Endpoint{0x7f000001, 0});
  REQUIRE(polled.ok());
  REQUIRE(sender.ok());
  size_t got = 0;
  (*polled)->SetReceiver([&](const Endpoint&, std::span<const uint8_t>, Duration) { ++got; });
  // The loop waits 300 ms for a timer while another thread sends 50
  // datagrams to the polled socket; each wake-up of the loop's thread is a
  // voluntary context switch. A socket left in the loop's epoll set wakes
  // it for every datagram (about 50 switches).
  constexpr int kDatagrams = 50;
  boost::asio::steady_timer timer(io, std::chrono::milliseconds(300));
  timer.async_wait([](const boost::system::error_code&) {});
  std::thread send_thread([&] {
    const std::string msg = "wake?";
    for (int i = 0; i < kDatagrams; ++i) {
      (*sender)->Send((*polled)->local_endpoint(),
                      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
    }
  });
  rusage before{};
  getrusage(RUSAGE_THREAD, &before);
  io.run();
  rusage after{};
  getrusage(RUSAGE_THREAD, &after);
  send_thread.join();
  const long switches = after.ru_nvcsw - before.ru_nvcsw;
  INFO("voluntary context switches while waiting: " << switches);
  REQUIRE(switches < 10);
  // They all waited in the socket; Poll reads no more than it is asked to.
  REQUIRE((*polled)->Poll(7) == 7);
  REQUIRE((*polled)->Poll() == kDatagrams - 7);
  REQUIRE(got == kDatagrams);
}

TEST_CASE("one datagram to many UDP targets reaches each once, and a failing target does not stop the rest") {
  boost::asio::io_context io;
  auto sender = UdpTransport::Open(io, Endpoint{0x7f000001, 0});
  REQUIRE(sender.ok());
  // More receivers than one sendmmsg call takes.
  std::vector<std::unique_ptr<UdpTransport>> receivers;
  std::vector<int> got(11, 0);
  std::vector<Endpoint> targets;
  for (size_t i = 0; i < got.size(); ++i) {
    auto r = UdpTransport::Open(io, Endpoint{0x7f000001, 0}, UdpTransport::Mode::kPolled);
    REQUIRE(r.ok());
    (*r)->SetReceiver([&got, i](const Endpoint&, std::span<const uint8_t> d, Duration) {
      if (std::string(reinterpret_cast<const char*>(d.data()), d.size()) == "fan-out") ++got[i];
    });
    targets.push_back((*r)->local_endpoint());
    receivers.push_back(std::move(*r));
    // Port 0 cannot be sent to: the kernel refuses that one datagram.
    if (i == 4) targets.push_back(Endpoint{0x7f000001, 0});
  }
  const std::string msg = "fan-out";
  (*sender)->SendToAll(targets, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()));
  REQUIRE((*sender)->send_errors() == 1);
  for (int tries = 0; tries < 100 && std::count(got.begin(), got.end(), 1) < 11; ++tries) {
    for (auto& r : receivers) r->Poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(got == std::vector<int>(11, 1));
}

TEST_CASE("held UDP sends leave at Flush, every datagram to each of its targets, past a failing one") {
  boost::asio::io_context io;
  auto sender = UdpTransport::Open(io, Endpoint{0x7f000001, 0});
  REQUIRE(sender.ok());
  std::vector<std::unique_ptr<UdpTransport>> receivers;
  std::vector<std::vector<std::string>> got(3);
  for (size_t i = 0; i < got.size(); ++i) {
    auto r = UdpTransport::Open(io, Endpoint{0x7f000001, 0}, UdpTransport::Mode::kPolled);
    REQUIRE(r.ok());
    (*r)->SetReceiver([&got, i](const Endpoint&, std::span<const uint8_t> d, Duration) {
      got[i].emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    });
    receivers.push_back(std::move(*r));
  }
  auto bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  auto poll_all = [&] {
    for (int tries = 0; tries < 20; ++tries) {
      for (auto& r : receivers) r->Poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  const Endpoint r0 = receivers[0]->local_endpoint(), r1 = receivers[1]->local_endpoint(),
                 r2 = receivers[2]->local_endpoint();
  (*sender)->Hold();
  (*sender)->Send(r0, bytes("probe"));
  const std::vector<Endpoint> fan = {r1, Endpoint{0x7f000001, 0}, r2};  // port 0: refused by the kernel
  (*sender)->SendToAll(fan, bytes("packet"));
  // More than one system call's worth (64), so Flush takes several.
  for (int i = 0; i < 70; ++i) (*sender)->Send(r0, bytes("repair " + std::to_string(i)));
  poll_all();
  REQUIRE(got == std::vector<std::vector<std::string>>(3));
  REQUIRE((*sender)->send_errors() == 0);
  (*sender)->Flush();
  REQUIRE((*sender)->send_errors() == 1);
  poll_all();
  REQUIRE(got[0].size() == 71);
  REQUIRE(got[0].front() == "probe");
  REQUIRE(got[0].back() == "repair 69");
  REQUIRE(got[1] == std::vector<std::string>{"packet"});
  REQUIRE(got[2] == std::vector<std::string>{"packet"});
  // After Flush, sends go at once again.
  (*sender)->Send(r1, bytes("now"));
  poll_all();
  REQUIRE(got[1] == std::vector<std::string>{"packet", "now"});
}
