// The emulated pool (tools/emu/emulated_pool.h) on real loopback sockets:
// its peers find each other through the seed and exchange, in real time.
#include <catch2/catch.hpp>

#include "tools/emu/emulated_pool.h"
#include "test/support/process.h"

using namespace shoal;

TEST_CASE("emulated pool: peers on their own loopback addresses form a pool and report their traffic and ticks") {
  gossip::Keyring keyring;
  keyring.Add(gossip::Keyring::Generate());
  emu::EmulatedPoolOptions o;
  o.peers = 4;
  o.first_address = Endpoint{0x7f010001, testing::FreePort()};  // 127.1.0.1
  o.seeds = {o.first_address};
  o.history = false;
  boost::asio::io_context io;
  auto pool = emu::EmulatedPool::Open(io, o, keyring);
  REQUIRE(pool.ok());
  (*pool)->Start();
  emu::EmulatedReport report;
  for (int i = 0; i < 50 && report.live_seen < 4; ++i) {
    io.run_for(std::chrono::milliseconds(100));
    report = (*pool)->TakeReport();
  }
  CHECK(report.live_seen == 4);
  io.run_for(std::chrono::milliseconds(500));
  report = (*pool)->TakeReport();
  CHECK(report.peers == 4);
  CHECK(report.traffic.udp_packets > 0);
  CHECK_THAT(report.ticks, Catch::StartsWith("ticks 2"));  // about 25 rounds of 20 ms in 0.5 s
  // A second peer on a taken address is refused, naming it.
  boost::asio::io_context other;
  auto again = emu::EmulatedPool::Open(other, o, keyring);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error().message, Catch::Contains("emu-1"));
}
