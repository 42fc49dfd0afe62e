// The daemon's tick on a real kernel timer (timerfd): real time, a few
// periods of 10 ms each.
#include <thread>

#include <catch2/catch.hpp>

#include "daemon/tick_timer.h"

using namespace shoal;
using namespace shoal::daemon;
using std::chrono::milliseconds;

TEST_CASE("the tick timer ticks once a period at start plus k periods until stopped") {
  boost::asio::io_context io;
  auto timer = TickTimer::Open(io, milliseconds(10));
  REQUIRE(timer.ok());
  std::vector<TimePoint> due, ran;
  const TimePoint start = std::chrono::steady_clock::now();
  (*timer)->Start([&](TimePoint d) {
    due.push_back(d);
    ran.push_back(std::chrono::steady_clock::now());
    if (due.size() == 5) (*timer)->Stop();
  });
  io.run();  // ends when the stopped timer leaves nothing to wait for
  REQUIRE(due.size() == 5);
  // Due times are whole periods apart; a loop late by more than a period
  // (a loaded machine) skips periods, and they are counted.
  uint64_t skipped = 0;
  for (size_t i = 0; i < due.size(); ++i) {
    REQUIRE(ran[i] >= due[i]);
    if (i == 0) continue;
    const auto gap = due[i] - due[i - 1];
    REQUIRE(gap >= milliseconds(10));
    REQUIRE(gap % milliseconds(10) == Duration::zero());
    skipped += static_cast<uint64_t>(gap / milliseconds(10)) - 1;
  }
  REQUIRE((*timer)->skipped() == skipped);
  REQUIRE(due[0] - start >= milliseconds(10));
  REQUIRE(due[0] - start < milliseconds(11));
}

TEST_CASE("a late tick does not catch up: the periods it missed are skipped and counted") {
  boost::asio::io_context io;
  auto timer = TickTimer::Open(io, milliseconds(10));
  REQUIRE(timer.ok());
  std::vector<TimePoint> due;
  (*timer)->Start([&](TimePoint d) {
    due.push_back(d);
    // The first tick stalls the loop for three and a half periods.
    if (due.size() == 1) std::this_thread::sleep_for(milliseconds(35));
    if (due.size() == 3) (*timer)->Stop();
  });
  io.run();
  REQUIRE(due.size() == 3);
  // The second tick runs once, for the latest period that passed.
  REQUIRE(due[1] - due[0] >= milliseconds(30));
  REQUIRE((*timer)->skipped() >= 2);
  REQUIRE(due[2] - due[1] >= milliseconds(10));
  REQUIRE((due[2] - due[1]) % milliseconds(10) == Duration::zero());
}

TEST_CASE("a tick timer stopped and started again from its own tick ticks on at the new phase") {
  boost::asio::io_context io;
  auto timer = TickTimer::Open(io, milliseconds(10));
  REQUIRE(timer.ok());
  std::vector<TimePoint> due;
  TimePoint restarted{};
  std::function<void(TimePoint)> on_tick = [&](TimePoint d) {
    due.push_back(d);
    if (due.size() == 2) {
      (*timer)->Stop();
      std::this_thread::sleep_for(milliseconds(3));  // off the old phase
      restarted = std::chrono::steady_clock::now();
      (*timer)->Start(on_tick);
    }
    if (due.size() == 5) (*timer)->Stop();
  };
  (*timer)->Start(on_tick);
  io.run();
  REQUIRE(due.size() == 5);
  REQUIRE(due[2] - restarted >= milliseconds(10));
  REQUIRE(due[2] - restarted < milliseconds(11));
  for (size_t i = 3; i < due.size(); ++i) REQUIRE((due[i] - due[2]) % milliseconds(10) == Duration::zero());
}

TEST_CASE("a tick timer refuses a period that is not positive") {
  boost::asio::io_context io;
  auto timer = TickTimer::Open(io, Duration::zero());
  REQUIRE_FALSE(timer.ok());
  REQUIRE(timer.error().message.find("period") != std::string::npos);
}
