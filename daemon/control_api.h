// The control API's answers (daemon/control/control.proto): one handler per
// request kind, found by the request's command in a table. Any node answers
// for the whole pool: every node holds every node's status and computes
// the same plan (the engine's pool view and CPU loop), or, while the pool
// plans from its figures, asks the nodes and the node representing the
// pool (control_figures.cc, engine::DetailService); history questions
// go to the nodes holding each origin's rows (store/pool_query.h).
// control_api.cc answers about the pool, control_policy.cc about its policies,
// control_pipes.cc about its pipes, control_history.cc about its history. Use from the io_context's thread.
#pragma once

#include <functional>
#include <map>

#include "control.pb.h"
#include "core/clock.h"
#include "daemon/config.h"
#include "daemon/control_server.h"
#include "daemon/keyring_service.h"
#include "daemon/policy_archive.h"
#include "daemon/engine/node_detail.h"
#include "daemon/engine/node_engine.h"
#include "gossip/admin_auth.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "store/history_store.h"

namespace shoal::daemon {

// What the answers read; references outlive the ControlApi.
struct ControlContext {
  const DaemonConfig& config;
  engine::NodeEngine& engine;
  engine::DetailService* detail;  // none: per-node figures are never asked (planning from statuses only)
  const gossip::Gossiper& gossiper;
  gossip::PeerStreams& streams;
  gossip::AdminVerifier* admin = nullptr;   // none: no admin keys
  store::HistoryStore* history = nullptr;   // none: history off
  const PolicyArchive* policies = nullptr;  // none: no revisions kept
  KeyringService* keyring = nullptr;        // none: keys are not changed through the API
  const WallClock& wall;
  const ControlServer* server = nullptr;    // its refusal counters
};

class ControlApi {
 public:
  explicit ControlApi(ControlContext context);
  void SetServer(const ControlServer* server) { c_.server = server; }
  // Answers through `reply`, at once or (history) once peers answered.
  void Handle(const control::Request& request, Role role, ControlServer::Reply reply);

 private:
  using Answer = control::Response (ControlApi::*)(const control::Request&);
  using LaterAnswer = void (ControlApi::*)(const control::Request&, ControlServer::Reply);
  // control_api.cc
  control::Response Status(const control::Request&);
  control::Response Nodes(const control::Request&);
  control::Response Apps(const control::Request&);
  control::Response App(const control::Request& request);
  // control_policy.cc
  control::Response PolicyPush(const control::Request& request);
  control::Response PolicyDryRun(const control::Request& request);
  // A draft's checks and changes into `r`; the draft's policies in force,
  // or none when there is no plan to compare (the reason is in `r`).
  std::optional<std::vector<policy::CpuPolicy>> DraftChanges(const control::Request& request, control::Response& r);
  control::Response PolicyShow(const control::Request& request);
  control::Response PolicyVersions(const control::Request&);
  control::Response PolicyHistory(const control::Request&);
  control::Response Mode(const control::Request& request);
  // A version as people read it (revision, time, origin's name).
  void FillStamp(const policy::PolicyVersion& v, control::PolicyStamp& out);
  // A kept revision's summary (and its text when `with_text`).
  Result<control::PolicyInfo> Revision(const policy::PolicyVersion& v, bool with_text);
  void Events(const control::Request& request, ControlServer::Reply reply);
  void Keyring(const control::Request& request, ControlServer::Reply reply);
  // control_explain.cc
  control::Response Explain(const control::Request& request);
  // control_pipes.cc
  control::Response Pipes(const control::Request&);
  // control_history.cc
  void HistoryMount(const control::Request& request, ControlServer::Reply reply);
  void HistoryBroadcast(const control::Request& request, ControlServer::Reply reply);
  void HistoryQuery(const control::Request& request, ControlServer::Reply reply);
  // control_figures.cc: the answers while the pool plans from its figures
  // (engine::NodeEngine::plans_from_figures), the base answers completed
  // with what the nodes and the pool's representative are asked.
  void StatusFromFigures(const control::Request& request, ControlServer::Reply reply);
  void NodesFromFigures(const control::Request& request, ControlServer::Reply reply);
  void AppsFromFigures(const control::Request& request, ControlServer::Reply reply);
  void AppFromFigures(const control::Request& request, ControlServer::Reply reply);
  // A push as PolicyPush; a dry run compares the pool's levels under the
  // policies in force and under the draft, from the pool's figures.
  void PolicyPushFromFigures(const control::Request& request, ControlServer::Reply reply);
  // The pool's figures from its representative, then `fill` (or the error).
  void WithPoolFigures(control::Response base, ControlServer::Reply reply,
                       std::function<void(const policy::PoolFigures&, control::Response&)> fill);

  ControlContext c_;
  std::map<control::Request::CommandCase, Answer> answers_;
  std::map<control::Request::CommandCase, LaterAnswer> later_;
  std::map<control::Request::CommandCase, LaterAnswer> from_figures_;
};

// An application's line as a plan gives it.
void FillApp(const policy::AppPlan& plan, control::AppInfo& out);
// A node's own figures (capacity, server, enforcement, instances' sums) from its status.
void FillNodeFigures(const engine::NodeStatus& status, control::NodeInfo& out);
// An application's pool-wide totals from the pool's figures.
void FillAppTotals(const policy::AppFigures& figures, control::AppInfo& out);

}  // namespace shoal::daemon
