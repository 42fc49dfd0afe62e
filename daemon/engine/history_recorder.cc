#include "daemon/engine/history_recorder.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace shoal::engine {
namespace {

uint32_t Milli(double m) { return static_cast<uint32_t>(std::lround(std::clamp(m, 0.0, 4e9))); }

// This node's row of the plan: each local application's instance plan.
std::map<std::string, const policy::InstancePlan*> RowOf(const policy::CpuPlan& plan, NodeId self) {
  std::map<std::string, const policy::InstancePlan*> row;
  if (const policy::NodePlan* node = plan.FindNode(self)) {
    for (size_t i = node->first; i < node->first + node->count; ++i) {
      row[plan.apps[plan.instances[i].app].name] = &plan.instances[i];
    }
  }
  return row;
}

}  // namespace

HistoryRecorder::HistoryRecorder(store::HistoryStore& store, const HistoryOptions& options,
                                 gossip::Gossiper& gossiper, gossip::PeerStreams& streams, Clock& clock,
                                 const WallClock& wall)
    : store_(store), gossiper_(gossiper), wall_(wall), service_(store, streams, options.archive_dir) {
  service_.SetAdminVerifier(options.admin);
  service_.SetOriginLive([this](NodeId origin) { return gossiper_.membership().IsLive(origin); });
  // Peers' appends are synced to disk together, about once a second.
  service_.SetGroupCommit(clock, store::kGroupCommitWindow);
  service_.Register();
  if (options.copies > 0) {
    store::ReplicatorOptions r;
    r.copies = options.copies;
    r.name_of = options.name_of;
    replicator_ = std::make_unique<store::Replicator>(store, gossiper.membership(), streams, clock, r);
    store::CustodianOptions c;
    c.copies = options.copies;
    c.name_of = options.name_of;
    custodian_ = std::make_unique<store::Custodian>(store, gossiper.membership(), streams, clock, c);
    store::RestorerOptions o;
    o.name_of = options.name_of;
    // The rows back at this node go on to its replicas.
    restorer_ = std::make_unique<store::Restorer>(store, gossiper.membership(), streams, clock,
                                                  [this] { replicator_->CopyAfresh(); }, o);
  }
}

HistoryRecorder::~HistoryRecorder() = default;

uint64_t HistoryRecorder::ReplicaLag() const {
  if (!replicator_) return 0;
  const uint64_t last = store_.last_seq();
  return last - std::min(last, replicator_->durable_seq());
}

void HistoryRecorder::Note(std::string kind, std::string subject, std::string text) {
  if (events_.size() >= store::kMaxEventsPerPeriod) {
    ++dropped_;
    return;
  }
  events_.push_back({std::move(kind), std::move(subject), std::move(text)});
}

Status HistoryRecorder::Record(const std::vector<LocalInstance>& local, const policy::CpuPlan& plan,
                               uint32_t capacity_m, std::vector<store::SeriesSample> pipes) {
  store::Period p;
  p.time_ms = wall_.NowMs();
  const auto row = RowOf(plan, gossiper_.identity().id);
  store::Sample node;
  for (const auto& s : local) {
    store::Sample a;
    a.usage = Milli(s.usage_m);
    a.demand = Milli(std::max(s.usage_m, s.demand_m));
    if (auto it = row.find(s.app); it != row.end()) {
      a.booking = Milli(it->second->booking);
      a.allocation = Milli(it->second->allocation);
    }
    a.rss_kb = s.rss_kb;
    a.processes = s.processes;
    node.usage += a.usage;
    node.demand += a.demand;
    node.booking += a.booking;
    node.allocation += a.allocation;
    node.rss_kb += a.rss_kb;
    node.processes += a.processes;
    p.apps.push_back({s.app, a});
  }
  node.capacity = capacity_m;
  p.node = node;
  p.pipes = std::move(pipes);
  p.events = std::move(events_);
  events_.clear();
  auto seq = store_.Record(p);
  if (!seq.ok()) return seq.error();
  if (replicator_) replicator_->Tick();
  return Status::Ok();
}

void HistoryRecorder::Tick() {
  service_.Tick();
  if (replicator_) replicator_->Tick();
  if (custodian_) custodian_->Tick();
  if (restorer_) restorer_->Tick();
}

Status HistoryRecorder::Maintain() { return store_.Maintain(wall_.NowMs()); }

}  // namespace shoal::engine
