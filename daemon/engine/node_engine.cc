#include "daemon/engine/node_engine.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/logging.h"

namespace shoal::engine {

Result<std::unique_ptr<NodeEngine>> NodeEngine::Create(EngineConfig config, EngineSeams seams, EngineHooks hooks) {
  auto e = std::unique_ptr<NodeEngine>(new NodeEngine(std::move(config), seams, std::move(hooks)));
  if (auto s = e->Register(); !s.ok()) return s.error();
  return e;
}

NodeEngine::NodeEngine(EngineConfig config, EngineSeams& seams, EngineHooks hooks)
    : config_(std::move(config)),
      self_(seams.gossiper.identity().id),
      clock_(seams.clock),
      wall_(seams.wall),
      gossiper_(seams.gossiper),
      processes_(seams.processes),
      hooks_(std::move(hooks)),
      events_(config_.node_name, seams.wall, config_.events_kept),
      snapshots_(gossip::SnapshotConfig{}, seams.gossiper, seams.streams, seams.clock),
      policies_(
          [&] {
            auto o = config_.policy;
            // The live nodes' capacity, to refuse impossible bookings.
            o.pool_millicores = [this]() -> std::optional<double> {
              const double m = pool().CapacityM();
              return m > 0 ? std::optional<double>(m) : std::nullopt;
            };
            return o;
          }(),
          seams.gossiper, seams.streams, seams.random, seams.wall),
      cpu_(self_, seams.processes, std::move(seams.cpu)),
      pipes_(self_, seams.clock, seams.wall, std::move(seams.pipes), config_.pipes),
      planning_(config_.planning),
      event_service_(events_, seams.gossiper, seams.streams, [this](NodeId id) { return NameOf(id); }),
      app_watch_(config_.watch),
      cadence_(config_.sample_every, config_.full_scan_every) {
  pipes_.SetFailedCheck([this](NodeId id) {
    const gossip::Member* m = gossiper_.membership().Find(id);
    return m != nullptr && m->state == gossip::MemberState::kFailed;
  });
  if (planning_.may_use_figures()) {
    figures_ = std::make_unique<FigurePlanner>(config_.rollup, seams.gossiper, seams.streams, seams.clock);
  }
  if (seams.history) {
    config_.history.name_of = [this](NodeId id) { return KnownName(id); };
    history_ = std::make_unique<HistoryRecorder>(*seams.history, config_.history, seams.gossiper, seams.streams,
                                                 seams.clock, seams.wall);
    WatchDeletions();
    events_.AddSink([this](const Event& e) { history_->Note(e.type(), e.subject(), e.text()); });
  }
  cpu_.SetErrorListener([this](const std::string& app, const std::string& error) {
    const auto* enforcer = cpu_.control().enforcer();
    Raise(EventType::kEnforcementError, app, fmt::format("CPU enforcement of {}: {}", app, error),
          {{"enforcer", enforcer ? enforcer->kind() : "off"}});
  });
  const TimePoint now = clock_.Now();
  cadence_.Start(now, seams.random.Unit());
  next_triggers_ = now + config_.triggers_every;
  next_maintain_ = now + config_.maintain_every;
}

NodeEngine::~NodeEngine() = default;

// Rows deleted at an admin's request (here or on a peer): logged and noted.
void NodeEngine::WatchDeletions() {
  history_->service().SetDeleteListener([this](NodeId by, const store::DeleteRequest& d, uint64_t rows) {
    const std::string what = fmt::format("{} row(s) of {} for {}{}", rows, d.app.empty() ? "every series" : d.app,
                                         d.origin.valid() ? NameOf(d.origin) : "every node",
                                         d.before_ms ? fmt::format(" before {} ms", d.before_ms) : "");
    spdlog::warn("history: deleted {} at the request of {} ({})", what, NameOf(by), d.by);
    Raise(EventType::kHistoryDeleted, d.app.empty() ? "history" : d.app,
          fmt::format("deleted {} at the request of {}", what, d.by), {{"by", d.by}, {"rows", std::to_string(rows)}});
  });
}

Status NodeEngine::Register() {
  auto s = gossiper_.RegisterChannel(
      gossip::ChannelSpec{kNodeChannel, "node", std::chrono::seconds(1), kNodeStatusMaxBytes,
                          gossip::kSnapshot | gossip::kPromptView},
      [this] { return PublishStatus(); },
      // Peers' statuses feed the plan only when it is planned from them.
      [this](const gossip::ChannelView&) { plan_dirty_ = plan_dirty_ || (!UseSnapshot() && !plans_from_figures()); });
  if (!s.ok()) return s;
  snapshots_.SetListener([this](const gossip::Snapshot&) { plan_dirty_ = plan_dirty_ || config_.plan_from_snapshot; });
  // Asked every tick: a round's figures go out as soon as they are taken.
  // A node that carries no pipe still keeps and passes on the others'
  // figures (for the exchange and the pool-wide view).
  s = gossiper_.RegisterChannel(
      gossip::ChannelSpec{kPipeChannel, "pipe", gossiper_.config().period, kPipeDemandMaxBytes, gossip::kNoFlags},
      [this] { return pipes_.Publish(); }, [this](const gossip::ChannelView& v) { pipes_.Update(v); });
  if (!s.ok()) return s;
  if (figures_) {
    if (s = figures_->Register(); !s.ok()) return s;
  }
  gossiper_.AddMemberListener([this](const gossip::MemberEvent& ev) { OnMember(ev); });
  policies_.SetListener([this](const policy::PolicyVersion& v, const policy::PolicyDocument& doc,
                               const std::string& blob) {
    OnActivated(v, doc);
    OnPolicy(doc);
    if (hooks_.policy_activated) hooks_.policy_activated(v, blob);
  });
  return policies_.Register();
}

uint32_t NodeEngine::CapacityM(uint32_t cpus) const {
  return static_cast<uint32_t>(config_.capacity_millicores > 0 ? config_.capacity_millicores : 1000 * int64_t{cpus});
}

std::optional<std::string> NodeEngine::PublishStatus() {
  auto host = processes_.Host();
  if (!host.ok()) {
    spdlog::warn("node status: {}", host.error().message);
    return std::nullopt;
  }
  cpus_ = host->cpus;
  NodeStatus s = StatusOn(*host);
  return EncodeNodeStatus(plans_from_figures() ? CardOf(std::move(s)) : s);
}

NodeStatus NodeEngine::OwnStatus() const {
  auto host = processes_.Host();
  return StatusOn(host.ok() ? *host : HostFacts{cpus_, 0, 0, 0});
}

NodeStatus NodeEngine::StatusOn(const HostFacts& host) const {
  NodeStatus s;
  s.name = config_.node_name;
  s.host = host;
  s.capacity_m = CapacityM(host.cpus);
  s.instances.assign(cpu_.local().begin(), cpu_.local().end());
  s.policy_version = policies_.version_text();
  s.enforcing = cpu_.control().enforcing();
  s.enforcer = cpu_.control().enforcer() ? cpu_.control().enforcer()->kind() : "off";
  s.settling = cadence_.settling(clock_.Now());
  return s;
}

std::string NodeEngine::NameOf(NodeId id) {
  pool();  // brought up to date
  return KnownName(id);
}

// Without a refresh: a member event comes for many nodes at once (a
// partition), and a node's name does not change.
std::string NodeEngine::KnownName(NodeId id) const { return id == self_ ? config_.node_name : pool_.NameOf(id); }

const PoolView& NodeEngine::pool() {
  pool_.Update(gossiper_.View(kNodeChannel));
  return pool_;
}

void NodeEngine::Raise(EventType type, std::string subject, std::string text, const EventFacts& facts, NodeId about) {
  // Triggers see every event this node observes, pool-wide ones on every
  // node alike (their set-cpu overrides must be the same everywhere).
  constexpr size_t kMaxObserved = 1000;
  if (observed_.size() < kMaxObserved) {
    observed_.push_back({std::string(KindOf(type).name), subject, text, facts});
  }
  if (KindOf(type).pool_wide && !SpeaksFor(about)) return;
  events_.Raise(type, std::move(subject), std::move(text), facts);
}

bool NodeEngine::SpeaksFor(NodeId about) const {
  for (const auto m : gossiper_.membership().live_peers()) {
    if (m.id != about && m.id < self_) return false;
  }
  return true;
}

namespace {

std::optional<EventType> MemberEventType(gossip::MemberEvent::Kind kind) {
  using K = gossip::MemberEvent::Kind;
  switch (kind) {
    case K::kJoined: return EventType::kNodeJoined;
    case K::kSuspected: return EventType::kNodeSuspected;
    case K::kFailed: return EventType::kNodeFailed;
    case K::kRecovered: return EventType::kNodeRecovered;
    case K::kLeft: return EventType::kNodeLeft;
    case K::kReaped:
    case K::kAccused: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

void NodeEngine::OnMember(const gossip::MemberEvent& ev) {
  if (ev.kind == gossip::MemberEvent::Kind::kFailed) ++nodes_failed_;
  if (ev.kind == gossip::MemberEvent::Kind::kJoined && pool_.Find(ev.id) == nullptr) {
    // Its status (and so its name) follows within a period or two.
    pending_joins_[ev.id] = {ev, clock_.Now() + kNameWait};
    return;
  }
  pending_joins_.erase(ev.id);
  RaiseMember(ev);
}

// A joined node is announced once its name is known, or after kNameWait
// with its id.
void NodeEngine::AnnounceJoins() {
  if (pending_joins_.empty()) return;
  pool();  // brought up to date
  const TimePoint now = clock_.Now();
  for (auto it = pending_joins_.begin(); it != pending_joins_.end();) {
    if (pool_.Find(it->first) == nullptr && now < it->second.second) {
      ++it;
      continue;
    }
    RaiseMember(it->second.first);
    it = pending_joins_.erase(it);
  }
}

void NodeEngine::RaiseMember(const gossip::MemberEvent& ev) {
  const std::string name = KnownName(ev.id);
  const std::string text = fmt::format("node {} at {} {}", name, ev.endpoint.ToString(), gossip::ToString(ev.kind));
  if (auto type = MemberEventType(ev.kind)) {
    Raise(*type, name, text, {{"id", ev.id.ToString()}, {"address", ev.endpoint.ToString()}}, ev.id);
  }
  const LogField peer("SHOAL_PEER", name);
  spdlog::log(ev.kind == gossip::MemberEvent::Kind::kFailed ? spdlog::level::warn : spdlog::level::info, "{}", text);
}

void NodeEngine::OnActivated(const policy::PolicyVersion& v, const policy::PolicyDocument& doc) {
  const std::string mode = policies_.mode_text();
  const LogField field("SHOAL_POLICY_VERSION", v.ToString());
  const std::string rev = fmt::format("r{}", v.revision);
  spdlog::info("policy {} ({}) active: mode {}, {} application(s), {} policy(ies)", rev, v.ToString(), mode,
               doc.applications.size(), doc.policies.size());
  // A version stamped long ago is this node catching up (a restart, a
  // return from a partition): the pool moved to it when it was new. The
  // next revision after the one this node ran is a push it followed, even
  // when its clock is far ahead of the pusher's.
  constexpr int64_t kFreshMs = 30'000;
  const bool next = active_revision_ != 0 && v.revision == active_revision_ + 1;
  active_revision_ = v.revision;
  if (!next && wall_.NowMs() - v.time_ms() > kFreshMs) {
    mode_ = mode;
    return;
  }
  Raise(EventType::kPolicyActivated, rev,
        fmt::format("policy {} active: mode {}, {} application(s)", rev, mode, doc.applications.size()),
        {{"version", v.ToString()}, {"revision", std::to_string(v.revision)}, {"mode", mode},
         {"applications", std::to_string(doc.applications.size())}});
  if (!mode_.empty() && mode != mode_) {
    Raise(EventType::kModeChanged, mode, fmt::format("mode changed from {} to {} with policy {}", mode_, mode, rev),
          {{"from", mode_}, {"to", mode}, {"version", v.ToString()}});
  }
  mode_ = mode;
}

void NodeEngine::OnPolicy(const policy::PolicyDocument& doc) {
  // Detection with the new rules at once (a full scan), so that the plan
  // and the groups follow the document without waiting for the next sample.
  const TimePoint now = clock_.Now();
  cpu_.SetDocument(doc, now);
  cadence_.OnDocument(now);
  pipes_.SetDocument(&doc, policies_.version_text());
  pipes_unmet_.Clear();
  Replan();
}

void NodeEngine::Tick() {
  AnnounceJoins();
  // Epochs freeze every node's status for planning from them, at a cost
  // that grows with the pool; planning from figures, nothing reads them.
  if (!plans_from_figures()) snapshots_.Tick();
  policies_.Tick();
  if (history_) history_->Tick();
  const TimePoint now = clock_.Now();
  switch (cadence_.Next(now)) {
    case SampleCadence::Due::kRegular:
      Sample();
      break;
    case SampleCadence::Due::kQuick:
      // The usage since the activation's full scan, planned from at once;
      // no history period and no pipe period (those stay a period long).
      cpu_.Sample(now, false);
      gossiper_.PublishNow(kNodeChannel);
      Replan();
      break;
    case SampleCadence::Due::kNone:
      break;
  }
  if (now >= next_triggers_) {
    next_triggers_ = std::max(next_triggers_ + config_.triggers_every, now);
    RunTriggers();
  }
  if (now >= next_maintain_) {
    next_maintain_ = now + config_.maintain_every;
    Maintain();
  }
  if (figures_) FollowPlanning();
  if (plan_dirty_ && now - planned_at_ >= config_.replan_every) Replan();
  pipes_.Tick([this] { return policies_.Effective(FailedNodes()); }, policies_.enforcing());
}

void NodeEngine::FollowPlanning() {
  const size_t live = gossiper_.membership().live_peers().size() + 1;
  const bool on = planning_.Follow(live);
  if (on != figures_on_) {
    figures_on_ = on;
    spdlog::info("planning from {} ({} live node(s))", on ? "the pool's figures" : "every node's status", live);
    if (!on) figures_->Stop();
    plan_dirty_ = true;
  }
  if (!on) return;
  const bool heard = figures_->heard();
  figures_->Tick();
  plan_dirty_ = plan_dirty_ || figures_->fresh() || heard != figures_->heard();
}

int NodeEngine::FailedNodes() const { return static_cast<int>(gossiper_.membership().failed_peers().size()); }

void NodeEngine::Sample() {
  cpu_.Sample(clock_.Now(), cadence_.full());
  gossiper_.PublishNow(kNodeChannel);  // the figures go out as they are taken
  pipes_.SetPorts(cpu_.local());
  Replan();
  ReportUnmet();
  ReportConditions();
  auto pipes = pipes_.TakePeriod();
  ReportPipesUnmet();
  if (!history_) return;
  auto recorded = history_->Record(cpu_.local(), cpu_.plan(), CapacityM(std::max(1u, cpus_)), std::move(pipes));
  ReportHistoryWrites(recorded);
  ReportReplicas();
}

void NodeEngine::Replan() {
  plan_dirty_ = false;
  planned_at_ = clock_.Now();
  const int failed = FailedNodes();
  auto policies = policies_.InForce(failed);
  // Switched to figures but no levels heard yet: the row still comes from
  // statuses, while this node's part goes into the roll-up all the same.
  if (figures_on_) {
    auto row = RowFromFigures(policies);
    if (!row || figures_->heard()) {
      planned_from_snapshot_ = false;
      if (row) cpu_.Adopt(std::move(row->plan), policies_.enforcing());
      return;
    }
  }
  planned_from_snapshot_ = UseSnapshot();
  // The freshest statuses, as the exchange holds them now (the channel's
  // subscriber only says that something changed, at most once a period),
  // or the epoch's.
  cpu_.Plan(planned_from_snapshot_ ? SnapshotPlanInput(*snapshots_.current(), std::move(policies))
                                   : pool().PlanInput(std::move(policies)),
            policies_.enforcing());
}

std::optional<policy::RowPlan> NodeEngine::RowFromFigures(const std::vector<policy::CpuPolicy>& policies) {
  const uint32_t capacity = CapacityM(cpus_);
  if (capacity == 0) return std::nullopt;  // the server's size is not known yet
  std::vector<policy::PlanInstance> own;
  own.reserve(cpu_.local().size());
  for (const LocalInstance& i : cpu_.local()) own.push_back({i.app, self_, i.demand_m, i.usage_m});
  // While settling (at most 10 s without a document) the part stays here.
  return figures_->Plan({self_, config_.node_name, static_cast<double>(capacity)}, own, policies, {},
                        cadence_.settling(clock_.Now()));
}

void NodeEngine::RunTriggers() {
  policy::TriggerInputs in;
  in.nodes_failed = std::exchange(nodes_failed_, 0);
  in.insufficient = cpu_.unmet();
  for (const auto& app : pool_plan().apps) {
    if (app.allocated > 0) in.usage_percent[app.name] = 100.0 * app.usage / app.allocated;
  }
  in.events = std::exchange(observed_, {});
  auto fired = policies_.EvaluateTriggers(std::move(in));
  // Every node evaluates (the same overrides everywhere); side effects
  // happen once, on the snapshot's leader (the lowest-id live node), or
  // for a local event's trigger on the node it happened on.
  const bool leading = snapshots_.leading();
  for (const auto& f : fired) {
    if (!f.local && !leading) continue;
    Raise(EventType::kTriggerFired, f.trigger, fmt::format("trigger {} fired", f.trigger),
          EventFacts(f.environment.begin(), f.environment.end()));
    if (hooks_.trigger) hooks_.trigger(f);
  }
}

void NodeEngine::Maintain() {
  if (!history_) return;
  if (auto s = history_->Maintain(); !s.ok()) spdlog::error("{}", s.error().message);
  if (uint64_t dropped = history_->TakeDropped()) {
    spdlog::warn("history: {} event(s) dropped (more than {} in one sample)", dropped, store::kMaxEventsPerPeriod);
  }
}

void NodeEngine::Leave() {
  spdlog::info("leaving the pool");
  gossiper_.Leave();
  // Peers' appends held for a group commit: answered while the loop still
  // runs to send the answers; later ones at once.
  if (history_) history_->EndGroupCommit();
}

}  // namespace shoal::engine
