// shoald, the shell around one node engine (daemon/engine/node_engine.h):
// one Boost.Asio io_context running the UDP transport and the TCP peer
// streams, the gossip tick (which drives the engine), the /proc sampler
// and the cgroup enforcer as the engine's seams, the history's RocksDB,
// trigger scripts, the control server, the periodic report and the signals
// (SIGINT/SIGTERM: announce a graceful leave, hand processes back, then
// exit; SIGHUP: reread the configuration, take what can change live and
// name what needs a restart, daemon/reload.h), and systemd's notify
// protocol (daemon/service_notify.h). Everything runs on the
// one thread that calls Run(); the control API's answers are
// daemon/control_api.h.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/random.h"
#include "core/tick_lateness.h"
#include "daemon/config.h"
#include "daemon/control_api.h"
#include "daemon/control_server.h"
#include "daemon/engine/node_engine.h"
#include "daemon/events/event_sinks.h"
#include "daemon/http_endpoint.h"
#include "daemon/name_guard.h"
#include "daemon/pool_probe.h"
#include "daemon/sampler.h"
#include "daemon/script_runner.h"
#include "daemon/service_notify.h"
#include "daemon/tick_timer.h"
#include "gossip/admin_auth.h"
#include "gossip/gossiper.h"
#include "gossip/identity_check.h"
#include "gossip/net/tcp_streams.h"
#include "gossip/net/udp_transport.h"
#include "store/history_store.h"

namespace shoal::daemon {

class Daemon {
 public:
  // Opens the sockets, reads the key file and the boot counter, opens the
  // history and assembles the engine. Errors say what could not be done
  // and with which file or address.
  static Result<std::unique_ptr<Daemon>> Create(const DaemonConfig& config);
  ~Daemon();

  // Where SIGHUP reads the configuration again (the file and the flags,
  // resolved); without one SIGHUP rereads only the key and tokens files.
  void SetReloadSource(std::function<Result<DaemonConfig>()> source) { reload_source_ = std::move(source); }

  // Runs until a stop signal (or Stop()); returns the exit code.
  int Run();
  void Stop();

 private:
  Daemon(const DaemonConfig& config, gossip::Keyring keyring, uint64_t boot);
  Status OpenNetwork();
  void WatchIdentity();
  Status StartEngine();
  Status RestorePolicy();
  Status StartControl();
  Status StartHttp();
  void LoadControlTokens();
  // Asks the seeds whether this node's name is live elsewhere; joins
  // (starts the gossip tick) unless it is.
  void JoinUnlessNameTaken();
  void StartTicks();
  void ScheduleReport();
  void ScheduleTrim();
  void WaitForSignal();
  // SIGHUP (daemon_reload.cc).
  void Reload();
  void ReloadSecrets();
  // key.rotated: the keyring changed (a reloaded file, shoalctl keyring).
  void RaiseKeysChanged(const std::string& text);
  void ApplyLive(const DaemonConfig& fresh, const std::vector<std::string>& keys);
  // wall_clock_offset_ms, at start and on SIGHUP.
  void SetWallOffset(int64_t offset_ms);
  std::string StatusLine() const;

  DaemonConfig config_;
  boost::asio::io_context io_;
  SteadyClock clock_;
  OffsetWallClock wall_;  // the system's, unless wall_clock_offset_ms steps it
  Random random_;
  gossip::Keyring keyring_;
  uint64_t boot_;
  std::unique_ptr<gossip::UdpTransport> transport_;
  std::unique_ptr<gossip::TcpStreams> streams_;
  std::unique_ptr<gossip::Gossiper> gossiper_;
  std::unique_ptr<gossip::IdentityCheck> identity_;
  std::unique_ptr<NameGuard> name_guard_;
  std::unique_ptr<PoolProbe> probe_;
  std::unique_ptr<gossip::AdminVerifier> admin_;  // none: no admin keys file
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<store::HistoryStore> history_;  // none: history off
  std::unique_ptr<PolicyArchive> policy_archive_;
  std::unique_ptr<ScriptRunner> scripts_;
  std::unique_ptr<EventSinks> event_sinks_;
  std::unique_ptr<engine::NodeEngine> engine_;
  std::unique_ptr<engine::DetailService> detail_;  // reads engine_
  std::unique_ptr<KeyringService> keyring_service_;
  std::unique_ptr<ControlApi> control_api_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<HttpEndpoint> http_;  // none: no [http] listen
  std::unique_ptr<TickTimer> tick_;
  boost::asio::steady_timer report_timer_;
  TickLateness lateness_;  // of the ticks, in the report (report_every_ms)
  boost::asio::steady_timer trim_timer_;
  boost::asio::signal_set signals_;
  std::unique_ptr<ServiceNotifier> notifier_;
  std::function<Result<DaemonConfig>()> reload_source_;
  int leave_ticks_ = -1;  // counting down after a stop signal
  int exit_code_ = 0;
};

}  // namespace shoal::daemon
