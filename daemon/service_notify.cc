#include "daemon/service_notify.h"

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace shoal::daemon {

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io, std::function<std::string()> status)
    : timer_(io), status_(std::move(status)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  under_systemd_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // 0: not asked; the variable is kept for the children (none expect it).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = true;
    ping_every_ = std::chrono::microseconds(usec / 2);
  }
}

void ServiceNotifier::Send(const std::string& state) {
  if (!under_systemd_) return;
  const std::string message = state + "STATUS=" + status_();
  if (int rc = sd_notify(0, message.c_str()); rc < 0) spdlog::debug("sd_notify: {}", std::strerror(-rc));
}

void ServiceNotifier::Ready() { Send("READY=1\n"); }

void ServiceNotifier::Reloading() { Send("RELOADING=1\n"); }

void ServiceNotifier::Stopping() { Send("STOPPING=1\n"); }

void ServiceNotifier::Start() {
  if (!under_systemd_) return;
  if (watchdog_) spdlog::info("systemd watchdog: a ping every {:.0f} ms", ToMillis(ping_every_));
  SchedulePing();
}

void ServiceNotifier::Cancel() { timer_.cancel(); }

void ServiceNotifier::SchedulePing() {
  timer_.expires_after(ping_every_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    Send(watchdog_ ? "WATCHDOG=1\n" : "");
    SchedulePing();
  });
}

}  // namespace shoal::daemon
