#include "daemon/tick_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shoal::daemon {
namespace asio = boost::asio;

namespace {
timespec ToTimespec(std::chrono::nanoseconds d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
  return timespec{.tv_sec = static_cast<time_t>(s.count()), .tv_nsec = static_cast<long>((d - s).count())};
}
}  // namespace

Result<std::unique_ptr<TickTimer>> TickTimer::Open(asio::io_context& io, Duration period) {
  if (period <= Duration::zero()) return MakeError("tick period must be positive");
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return MakeError("timerfd_create: {}", std::strerror(errno));
  return std::unique_ptr<TickTimer>(new TickTimer(io, fd, period));
}

TickTimer::TickTimer(asio::io_context& io, int fd, Duration period) : fd_(io, fd), period_(period) {}

TickTimer::~TickTimer() { *alive_ = false; }

void TickTimer::Start(Handler on_tick) {
  on_tick_ = std::move(on_tick);
  // std::chrono::steady_clock is CLOCK_MONOTONIC: its time points are the
  // timer's absolute times.
  next_due_ = std::chrono::steady_clock::now() + period_;
  itimerspec spec{.it_interval = ToTimespec(period_), .it_value = ToTimespec(next_due_.time_since_epoch())};
  if (::timerfd_settime(fd_.native_handle(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    // Only invalid arguments fail, which the period's check rules out.
    throw std::runtime_error(std::string("timerfd_settime: ") + std::strerror(errno));
  }
  if (!running_) {
    running_ = true;
    Wait();
  }
}

void TickTimer::Stop() {
  running_ = false;
  ++generation_;  // a wait still pending is stale
  const itimerspec off{};
  ::timerfd_settime(fd_.native_handle(), 0, &off, nullptr);
  boost::system::error_code ec;
  fd_.cancel(ec);
}

// One wait of the current generation is pending while running: Start()
// arms one after a Stop(), a completed one arms the next.
void TickTimer::Wait() {
  fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                 [this, alive = alive_, generation = generation_](const boost::system::error_code& ec) {
                   if (ec || !*alive || generation != generation_) return;
                   OnReadable();
                 });
}

void TickTimer::OnReadable() {
  Wait();
  uint64_t expirations = 0;
  if (::read(fd_.native_handle(), &expirations, sizeof(expirations)) != sizeof(expirations) || expirations == 0) {
    return;  // woken with nothing to read (EAGAIN)
  }
  const TimePoint due = next_due_ + period_ * static_cast<int64_t>(expirations - 1);
  skipped_ += expirations - 1;
  next_due_ = due + period_;
  // A copy runs: the handler may Start() this timer with another handler,
  // Stop() it or destroy it.
  const Handler on_tick = on_tick_;
  on_tick(due);
}

}  // namespace shoal::daemon
