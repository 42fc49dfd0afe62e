#include "daemon/tick_timer.h"

namespace shoal::daemon {
namespace asio = boost::asio;

Result<std::unique_ptr<TickTimer>> TickTimer::Open(asio::io_context& io, Duration period) {
  if (period <= Duration::zero()) return MakeError("tick period must be positive");
  return std::unique_ptr<TickTimer>(new TickTimer(io, period));
}

TickTimer::TickTimer(asio::io_context& io, Duration period)
    : timers_{asio::steady_timer(io), asio::steady_timer(io)}, period_(period) {}

TickTimer::~TickTimer() { *alive_ = false; }

void TickTimer::Start(Handler on_tick) {
  on_tick_ = std::move(on_tick);
  const TimePoint first = std::chrono::steady_clock::now() + period_;
  Arm(0, first);
  Arm(1, first + period_);
}

void TickTimer::Stop() {
  for (size_t i = 0; i < timers_.size(); ++i) {
    ++generation_[i];
    timers_[i].cancel();
  }
}

void TickTimer::Arm(size_t i, TimePoint due) {
  const uint64_t generation = ++generation_[i];
  timers_[i].expires_at(due);
  timers_[i].async_wait([this, i, due, generation, alive = alive_](const boost::system::error_code& ec) {
    // A timer set again after it expired may still deliver the old wait.
    if (ec || !*alive || generation != generation_[i]) return;
    OnExpiry(i, due);
  });
}

void TickTimer::OnExpiry(size_t i, TimePoint due) {
  const TimePoint now = std::chrono::steady_clock::now();
  if (now - due < period_) {
    Arm(i, due + 2 * period_);  // the other timer holds due + period
  } else {
    // Late by a period or more: this tick stands for the latest period
    // that passed; both timers start over after it.
    const auto missed = (now - due) / period_;
    skipped_ += static_cast<uint64_t>(missed);
    due += period_ * missed;
    Arm(i, due + period_);
    Arm(1 - i, due + 2 * period_);
  }
  // A copy runs: the handler may Start() this timer with another handler,
  // Stop() it or destroy it.
  const Handler on_tick = on_tick_;
  on_tick(due);
}

}  // namespace shoal::daemon
