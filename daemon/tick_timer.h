// The daemon's periodic tick on a kernel timer that re-arms itself (a
// timerfd on CLOCK_MONOTONIC, the steady clock's), read on the event loop.
// A tick costs one wake-up and one read: an asio steady_timer set anew each
// tick cost two timerfd_settime calls as well (asio re-arms its one timer
// descriptor when the earliest timer fires and again when the next is
// set), a fifth of the daemon's system calls in a steady pool. Ticks fall
// at start + k * period; a tick that comes late (the process was stopped or
// starved) does not catch up: the periods it missed are skipped and
// counted. Use from the io_context's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/clock.h"
#include "core/result.h"

namespace shoal::daemon {

class TickTimer {
 public:
  // `due`: when this tick was due (the loop may run it later).
  using Handler = std::function<void(TimePoint due)>;

  // Errors name the system call that failed.
  static Result<std::unique_ptr<TickTimer>> Open(boost::asio::io_context& io, Duration period);
  ~TickTimer();

  // The first tick one period from now, then one each period until Stop()
  // (which the handler may call). Start() again restarts the phase.
  void Start(Handler on_tick);
  void Stop();

  // Periods that passed without a tick of their own (late ticks).
  uint64_t skipped() const { return skipped_; }

 private:
  TickTimer(boost::asio::io_context& io, int fd, Duration period);
  void Wait();
  void OnReadable();

  boost::asio::posix::stream_descriptor fd_;
  Duration period_;
  Handler on_tick_;
  TimePoint next_due_{};
  uint64_t skipped_ = 0;
  bool running_ = false;
  uint64_t generation_ = 0;  // of the pending wait; Stop() moves it on
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::daemon
