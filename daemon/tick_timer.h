// The daemon's periodic tick, at one timer re-arm a period. An asio
// steady_timer set anew each tick costs two timerfd_settime calls (asio
// re-arms its one timer descriptor when the earliest timer fires, to the
// next one, and again when the tick sets itself as the earliest), a
// quarter of a steady daemon's system calls. Two timers take turns here:
// while one tick runs, the next is already set, so setting the one after
// it changes nothing the kernel has to know. (A timerfd of our own costs
// as much: asio re-registers a descriptor with epoll on every wait, and
// the count must be read.) Ticks fall at start + k * period; a tick that
// comes late (the process was stopped or starved) does not catch up: it
// runs once, for the latest period that passed, and the periods it missed
// are counted. Use from the io_context's thread only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/result.h"

namespace shoal::daemon {

class TickTimer {
 public:
  // `due`: when this tick was due (the loop may run it later).
  using Handler = std::function<void(TimePoint due)>;

  // Refuses a period that is not positive.
  static Result<std::unique_ptr<TickTimer>> Open(boost::asio::io_context& io, Duration period);
  ~TickTimer();

  // The first tick one period from now, then one each period until Stop()
  // (which the handler may call). Start() again restarts the phase.
  void Start(Handler on_tick);
  void Stop();

  // Periods that passed without a tick of their own (late ticks).
  uint64_t skipped() const { return skipped_; }

 private:
  TickTimer(boost::asio::io_context& io, Duration period);
  // Sets timer `i` for `due`; a wait it had pending goes stale.
  void Arm(size_t i, TimePoint due);
  void OnExpiry(size_t i, TimePoint due);

  std::array<boost::asio::steady_timer, 2> timers_;
  std::array<uint64_t, 2> generation_{};  // of each timer's pending wait
  Duration period_;
  Handler on_tick_;
  uint64_t skipped_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::daemon
