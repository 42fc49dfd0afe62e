// Telling systemd how the daemon is (Type=notify): READY once the sockets
// are bound and the state is loaded, STATUS lines with what an operator
// wants at a glance (members, policy, mode), RELOADING while a SIGHUP is
// taken, STOPPING on the way out, and WATCHDOG pings sent from the event
// loop itself, so that a loop that is stuck stops the pings and systemd
// restarts the daemon (WatchdogSec= in the unit). Outside systemd
// ($NOTIFY_SOCKET unset) every call does nothing. Runs on the io_context's
// thread.
#pragma once

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"

namespace shoal::daemon {

class ServiceNotifier {
 public:
  // `status` is asked for the STATUS line at each ping and state change.
  ServiceNotifier(boost::asio::io_context& io, std::function<std::string()> status);

  void Ready();
  void Reloading();
  void Stopping();
  // Starts the pings: every half of the watchdog's interval when systemd
  // set one, else a STATUS update every 5 s.
  void Start();
  void Cancel();

  bool under_systemd() const { return under_systemd_; }
  Duration ping_every() const { return ping_every_; }

 private:
  void Send(const std::string& state);
  void SchedulePing();

  boost::asio::steady_timer timer_;
  std::function<std::string()> status_;
  bool under_systemd_ = false;
  bool watchdog_ = false;
  Duration ping_every_ = std::chrono::seconds(5);
};

}  // namespace shoal::daemon
