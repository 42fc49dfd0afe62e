// The node engine: one node's pool logic, assembled the same way by shoald
// (daemon/daemon.h, on a real network and kernel) and by the simulator
// (tools/sim/, thousands at once on virtual time). It publishes this
// node's status and keeps the pool view (pool_view.h), runs the policy
// runtime (policy_runtime.h), the snapshot epochs, the CPU loop
// (cpu_loop.h), the pipe loop (pipe_loop.h) and, with a store, the history recorder
// (history_recorder.h). It has no Asio and no system access: time,
// randomness, the exchange, the peer streams, the local processes, the
// CPU enforcer and the store come in through EngineSeams, and the owner
// calls Tick() once per gossip period. What the engine decides that
// touches the outside world (a trigger's script, storing the active
// policy) goes out through EngineHooks; what happens goes out as events
// (events.h) to the sinks the owner adds to events(), pool-wide ones raised
// once for the pool (SpeaksFor). Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "daemon/engine/app_watch.h"
#include "daemon/engine/cpu_loop.h"
#include "daemon/engine/event_service.h"
#include "daemon/engine/events.h"
#include "daemon/engine/figure_planner.h"
#include "daemon/engine/history_recorder.h"
#include "daemon/engine/pipe_loop.h"
#include "daemon/engine/pipe_report.h"
#include "daemon/engine/pipe_unmet.h"
#include "daemon/engine/planning_way.h"
#include "daemon/engine/policy_runtime.h"
#include "daemon/engine/pool_view.h"
#include "daemon/engine/process_source.h"
#include "daemon/engine/sample_cadence.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "gossip/snapshot.h"

namespace shoal::engine {

struct EngineConfig {
  std::string node_name;
  int64_t capacity_millicores = 0;  // offered to the pool; 0: 1,000 per CPU
  Duration sample_every = std::chrono::seconds(1);
  int full_scan_every = 10;  // samples
  // The plan follows the pool view's changes, at most this often.
  Duration replan_every = std::chrono::milliseconds(100);
  // Plan from the snapshot epoch's frozen statuses (every node on the same
  // figures, up to an epoch late) instead of the live view (fresher, nodes
  // briefly apart); the live view while no fresh snapshot is installed.
  // Off: bench/RESULTS.md, "Planning from the live view or the snapshot".
  bool plan_from_snapshot = false;
  // Plan this node's row from every node's status or from the pool's
  // figures (figure_planner.h), or switch by the pool's size
  // (planning_way.h). With figures, the node's status becomes a card
  // (node_status.h) once the first levels are heard; until then it plans
  // from statuses. bench/RESULTS.md, "Thousands of servers".
  PlanningConfig planning;
  gossip::RollupConfig rollup;  // when planning may use figures
  Duration triggers_every = std::chrono::seconds(1);
  Duration maintain_every = std::chrono::minutes(1);
  policy::PolicyDistributor::Options policy;
  HistoryOptions history;  // used with a store
  PipeOptions pipes;       // used with a pipe enforcer
  AppWatchOptions watch;   // app.squeezed / app.idle
  size_t events_kept = EventLog::kDefaultKeep;
};

struct EngineSeams {
  Clock& clock;
  const WallClock& wall;
  Random& random;
  gossip::Gossiper& gossiper;
  gossip::PeerStreams& streams;
  ProcessSource& processes;
  std::unique_ptr<CpuEnforcer> cpu;         // null: nothing is enforced
  std::unique_ptr<PipeEnforcer> pipes;      // null: this node carries no pipe
  store::HistoryStore* history = nullptr;  // null: no history
};

struct EngineHooks {
  // A trigger's action, on the one node that carries actions out (the
  // snapshot's leader); every node evaluates the triggers alike.
  std::function<void(const policy::FiredAction&)> trigger;
  // A document became active (its envelope, to keep across restarts).
  std::function<void(const policy::PolicyVersion&, const std::string& blob)> policy_activated;
};

class NodeEngine {
 public:
  // Registers the engine's channels and services on the seams' gossiper
  // and streams. The seams' references must outlive the engine.
  static Result<std::unique_ptr<NodeEngine>> Create(EngineConfig config, EngineSeams seams, EngineHooks hooks);
  ~NodeEngine();
  NodeEngine(const NodeEngine&) = delete;
  NodeEngine& operator=(const NodeEngine&) = delete;

  // Once per gossip period, after the gossiper's tick.
  void Tick();
  // Announces a graceful leave; peers' held history appends are answered.
  void Leave();
  // Hands every process and interface back (a clean stop).
  void Release() {
    cpu_.Release();
    pipes_.Release();
  }
  // Raises an event (events.h). A pool-wide type is raised only when this
  // node speaks for the pool about `about` (SpeaksFor); a local one always.
  void Raise(EventType type, std::string subject, std::string text, const EventFacts& facts = {},
             NodeId about = {});
  // This node is the lowest live id other than `about`.
  bool SpeaksFor(NodeId about) const;
  EventLog& events() { return events_; }
  EventService& event_service() { return event_service_; }

  NodeId self() const { return self_; }
  const std::string& name() const { return config_.node_name; }
  // The node's name from its status, else its id.
  std::string NameOf(NodeId id);
  // The pool view, brought up to date with the exchange first.
  const PoolView& pool();
  PolicyRuntime& policies() { return policies_; }
  const PolicyRuntime& policies() const { return policies_; }
  const CpuLoop& cpu() const { return cpu_; }
  const PipeLoop& pipes() const { return pipes_; }
  const gossip::SnapshotService& snapshots() const { return snapshots_; }
  // Planning from the pool's figures (null while planning.from is statuses).
  const FigurePlanner* figures() const { return figures_.get(); }
  // The row comes from the pool's figures now (else from every node's status).
  bool plans_from_figures() const { return figures_on_ && figures_->heard(); }
  // The pool-wide side of the plan, alike on every node: per application its
  // entitlement and pool-wide demand, usage, booking and allocation. The
  // whole plan (statuses), or the levels' (figures: applications with a
  // policy only, no instances; the count is in figures()->levels()).
  const policy::CpuPlan& pool_plan() const {
    return plans_from_figures() && figures_->levels() ? figures_->levels()->pool : cpu_.plan();
  }
  // This node's status now, in full (also while it publishes a card).
  NodeStatus OwnStatus() const;
  // Whether the last plan came from the installed snapshot (else the live view).
  bool planned_from_snapshot() const { return planned_from_snapshot_; }
  HistoryRecorder* history() { return history_.get(); }
  uint32_t CapacityM(uint32_t cpus) const;
  // Nodes the membership holds failed now.
  int FailedNodes() const;
  // The pool's pipes as this node sees them now (daemon/engine/pipe_report.h);
  // empty without a document or pipes.
  std::vector<PipeLaneReport> PipeReport() const;

 private:
  NodeEngine(EngineConfig config, EngineSeams& seams, EngineHooks hooks);
  Status Register();
  void WatchDeletions();
  std::optional<std::string> PublishStatus();
  NodeStatus StatusOn(const HostFacts& host) const;
  void OnPolicy(const policy::PolicyDocument& doc);
  void OnMember(const gossip::MemberEvent& ev);
  void AnnounceJoins();
  void RaiseMember(const gossip::MemberEvent& ev);
  void OnActivated(const policy::PolicyVersion& v, const policy::PolicyDocument& doc);
  std::string KnownName(NodeId id) const;
  void Sample();
  void Replan();
  // The row from the pool's figures, its part put into the roll-up; none
  // while the server's size is not known.
  std::optional<policy::RowPlan> RowFromFigures(const std::vector<policy::CpuPolicy>& policies);
  void FollowPlanning();
  // What the plan reads: the installed snapshot (plan_from_snapshot, fresh) or the live view.
  bool UseSnapshot() const { return config_.plan_from_snapshot && snapshots_.fresh(); }
  void ReportUnmet();
  void ReportPipesUnmet();
  void ReportConditions();
  void ReportReplicas();
  void ReportHistoryWrites(const Status& recorded);
  void RunTriggers();
  void Maintain();

  EngineConfig config_;
  NodeId self_;
  Clock& clock_;
  const WallClock& wall_;
  gossip::Gossiper& gossiper_;
  ProcessSource& processes_;
  EngineHooks hooks_;
  EventLog events_;
  PoolView pool_;
  gossip::SnapshotService snapshots_;
  PolicyRuntime policies_;
  CpuLoop cpu_;
  PipeLoop pipes_;
  PipeUnmet pipes_unmet_;
  PlanningSwitch planning_;
  std::unique_ptr<FigurePlanner> figures_;
  bool figures_on_ = false;  // the switch says figures (heard() tells whether levels came)
  std::unique_ptr<HistoryRecorder> history_;
  EventService event_service_;
  AppWatch app_watch_;
  std::string mode_;              // at the last activation
  uint32_t active_revision_ = 0;  // of the last activation (0: none yet)
  bool replicas_behind_ = false;  // history.replica_lost raised, not yet restored
  bool history_failing_ = false;  // history.write_failed raised, not yet writing
  uint32_t cpus_ = 0;       // from the last host facts
  int nodes_failed_ = 0;    // since the triggers last ran
  std::vector<policy::ObservedEvent> observed_;  // since the triggers last ran
  static constexpr Duration kNameWait = std::chrono::seconds(5);
  std::map<NodeId, std::pair<gossip::MemberEvent, TimePoint>> pending_joins_;  // until the name is known
  bool plan_dirty_ = false; // the pool view changed since the last plan
  bool planned_from_snapshot_ = false;
  TimePoint planned_at_{};
  TimePoint next_triggers_{}, next_maintain_{};
  SampleCadence cadence_;
};

}  // namespace shoal::engine
