// shoald's wiring: one Boost.Asio io_context running the UDP transport, the
// Gossiper's tick timer, the status publisher, the sampler's timer, the
// planner (on every change of the pool's status) and the CPU enforcer, the
// policies and triggers, the periodic report and the signals (SIGINT/SIGTERM:
// announce a graceful leave, hand processes back, then exit; SIGHUP: reread
// the key file). Everything runs on the one thread that calls Run().
// daemon.cc wires; daemon_cpu.cc samples, plans and enforces;
// daemon_history.cc records, replicates and answers history;
// daemon_control.cc answers the control API.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"
#include "core/random.h"
#include "daemon/config.h"
#include "daemon/control_server.h"
#include "daemon/cpu_control.h"
#include "daemon/sampler.h"
#include "daemon/pool_probe.h"
#include "gossip/admin_auth.h"
#include "gossip/gossiper.h"
#include "gossip/identity_check.h"
#include "gossip/snapshot.h"
#include "gossip/tcp_streams.h"
#include "gossip/udp_transport.h"
#include "daemon/name_guard.h"
#include "daemon/script_runner.h"
#include "policy/distribution.h"
#include "policy/schedule.h"
#include "policy/triggers.h"
#include "store/custodian.h"
#include "store/history_service.h"
#include "store/history_store.h"
#include "store/replicator.h"

namespace shoal::daemon {

class Daemon {
 public:
  // Opens the socket, reads the key file and the boot counter. Errors say
  // what could not be done and with which file or address.
  static Result<std::unique_ptr<Daemon>> Create(const DaemonConfig& config);
  ~Daemon();

  // Runs until a stop signal (or Stop()); returns the exit code.
  int Run();
  void Stop();

 private:
  Daemon(const DaemonConfig& config, gossip::Keyring keyring, uint64_t boot);
  // The policy distributor, the stored policy and the operators' services.
  Status StartPolicies();
  // daemon_cpu.cc: the status this node publishes, sampling, planning.
  Status StartCpu();
  std::optional<std::string> PublishStatus();
  void ScheduleSample();
  void Sample(bool full);
  void Replan();
  void ReportUnmet();
  std::vector<policy::CpuPolicy> PoliciesInForce();
  void OnPolicy(const policy::PolicyDocument& doc);
  // daemon_history.cc: the history store, its replication and queries.
  Status StartHistory();
  void RecordHistory();
  void NoteEvent(std::string kind, std::string subject, std::string text);
  void ScheduleHistoryUpkeep();
  void HandleHistory(const control::Request& request, ControlServer::Reply reply);
  // daemon_control.cc: the control API.
  Status StartControl();
  void LoadControlTokens();
  control::Response HandleControl(const control::Request& request, Role role);
  std::string NameOf(NodeId id);  // from its status, else the id
  uint32_t CapacityMillicores(uint32_t cpus) const;
  // Asks the seeds whether this node's name is live elsewhere; joins
  // (starts the gossip tick) unless it is.
  void JoinUnlessNameTaken();
  void ScheduleTick();
  void ScheduleTriggers();
  void RunTriggers();
  void ScheduleReport();
  void WaitForSignal();

  DaemonConfig config_;
  boost::asio::io_context io_;
  SteadyClock clock_;
  Random random_;
  gossip::Keyring keyring_;
  uint64_t boot_;
  std::unique_ptr<gossip::UdpTransport> transport_;
  std::unique_ptr<gossip::TcpStreams> streams_;
  std::unique_ptr<gossip::Gossiper> gossiper_;
  std::unique_ptr<PoolProbe> probe_;
  std::unique_ptr<gossip::SnapshotService> snapshots_;
  std::unique_ptr<policy::PolicyDistributor> policies_;
  std::unique_ptr<policy::TriggerEngine> triggers_;  // of the active document
  std::unique_ptr<ScriptRunner> scripts_;
  std::unique_ptr<ControlServer> control_;
  int nodes_failed_ = 0;  // since the triggers last ran
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<CpuControl> cpu_;
  std::optional<policy::ScheduleEvaluator> schedule_;  // of the active document
  std::vector<InstanceSample> local_;  // the last sample
  int samples_ = 0;
  bool sampled_ = false;  // local_ holds a sample of the active document's applications
  policy::CpuPlan plan_;
  bool plan_dirty_ = false;  // the pool's status changed since the last plan
  TimePoint planned_at_{};  // the clock's epoch: long ago
  std::set<std::string> unmet_;       // applications whose booking cannot be met
  std::set<std::string> unmet_seen_;  // ... in the last sample's plan
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer report_timer_;
  boost::asio::steady_timer trigger_timer_;
  boost::asio::steady_timer sample_timer_;
  std::unique_ptr<store::HistoryStore> history_;
  std::unique_ptr<store::HistoryService> history_service_;
  std::unique_ptr<store::Replicator> replicator_;
  std::unique_ptr<store::Custodian> custodian_;
  std::vector<store::EventRecord> events_;  // for the next recorded period
  uint64_t events_dropped_ = 0;
  boost::asio::steady_timer history_timer_;
  boost::asio::signal_set signals_;
  int leave_ticks_ = -1;  // counting down after a stop signal
  std::unique_ptr<gossip::IdentityCheck> identity_;
  std::unique_ptr<gossip::AdminVerifier> admin_;  // none: no admin keys file
  std::unique_ptr<NameGuard> name_guard_;
  int exit_code_ = 0;
};

}  // namespace shoal::daemon
