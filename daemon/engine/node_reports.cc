// What the node engine's loops found, told as events and log lines:
// bookings of CPU and bandwidth that cannot be met and are met again,
// applications squeezed or idle, a history disk that fails and writes
// again, replicas fallen behind and caught up. Each is raised once per
// change, not every period (node_engine.h).
#include <spdlog/spdlog.h>

#include "daemon/engine/node_engine.h"
#include "daemon/engine/pipe_report.h"

namespace shoal::engine {

void NodeEngine::ReportUnmet() {
  const auto changes = cpu_.FollowUnmet();
  const policy::CpuPlan& plan = cpu_.plan();
  for (const policy::AppPlan* app : changes.unmet) {
    spdlog::warn("booking of {} cannot be met: it asks {:.0f} millicores, the pool ({:.0f} millicores on {} "
                 "node(s)) entitles it to {:.0f}, of which {:.0f} could not be placed on the {} node(s) running it",
                 app->name, app->requested, plan.pool_capacity, plan.nodes.size(), app->entitlement, app->unplaced,
                 app->instances.size());
    Raise(EventType::kBookingUnmet, app->name,
          fmt::format("booking of {} cannot be met: asks {:.0f} millicores, entitled to {:.0f}, {:.0f} unplaced",
                      app->name, app->requested, app->entitlement, app->unplaced),
          {{"resource", "cpu"},
           {"requested_millicores", fmt::format("{:.0f}", app->requested)},
           {"entitled_millicores", fmt::format("{:.0f}", app->entitlement)},
           {"unplaced_millicores", fmt::format("{:.0f}", app->unplaced)}});
  }
  for (const std::string& app : changes.met) {
    spdlog::info("booking of {} is met again", app);
    Raise(EventType::kBookingMet, app, fmt::format("booking of {} is met again", app), {{"resource", "cpu"}});
  }
}

std::vector<PipeLaneReport> NodeEngine::PipeReport() const {
  const policy::PolicyDocument* doc = policies_.active();
  if (doc == nullptr || doc->pipes.empty()) return {};
  const std::string version = policies_.version_text();
  const auto effective = policies_.Effective(FailedNodes());
  return ReportPipes({*doc, version, effective, pipes_.figures(), pipes_.options().interval, pipes_.failed_check()});
}

void NodeEngine::ReportPipesUnmet() {
  const auto report = PipeReport();
  if (report.empty()) return;
  for (const PipeUnmetChange& c : pipes_unmet_.Follow(report)) {
    const std::string lane = LaneSeriesName(c.lane);
    if (!c.unmet) {
      spdlog::info("bandwidth booking of {} on {} is met again", c.app, lane);
      Raise(EventType::kBookingMet, c.app, fmt::format("bandwidth booking of {} on {} is met again", c.app, lane),
            {{"resource", "bandwidth"}, {"lane", lane}});
      continue;
    }
    spdlog::warn("bandwidth booking of {} on {} cannot be met: it wants {} bytes/s, the pool in view allocates it {}",
                 c.app, lane, c.wanted, c.got);
    Raise(EventType::kBookingUnmet, c.app,
          fmt::format("bandwidth booking of {} on {} cannot be met: wants {} bytes/s, allocated {}", c.app, lane,
                      c.wanted, c.got),
          {{"resource", "bandwidth"},
           {"lane", lane},
           {"wanted_bytes_per_second", std::to_string(c.wanted)},
           {"allocated_bytes_per_second", std::to_string(c.got)}});
  }
}

void NodeEngine::ReportConditions() {
  for (const AppCondition& c : app_watch_.Follow(pool_plan())) {
    const bool squeezed = c.kind == AppCondition::Kind::kSqueezed;
    const std::string text =
        squeezed ? fmt::format("{} {} squeezed: demand {:.0f} millicores, allocated {:.0f}", c.app,
                               c.begun ? "is" : "is no longer", c.demand, c.allocated)
                 : fmt::format("{} {} idle: using {:.0f} of {:.0f} booked millicores", c.app,
                               c.begun ? "is" : "is no longer", c.usage, c.booked);
    Raise(squeezed ? EventType::kAppSqueezed : EventType::kAppIdle, c.app, text,
          {{"state", c.begun ? "begun" : "ended"},
           {"demand_millicores", fmt::format("{:.0f}", c.demand)},
           {"usage_millicores", fmt::format("{:.0f}", c.usage)},
           {"allocated_millicores", fmt::format("{:.0f}", c.allocated)},
           {"booked_millicores", fmt::format("{:.0f}", c.booked)}});
  }
}

// A disk that fails the history's writes is reported once (and its
// errors not logged every period) until the store writes again.
void NodeEngine::ReportHistoryWrites(const Status& recorded) {
  const bool writing = history_->store().writing();
  const std::string& name = config_.node_name;
  if (!recorded.ok() && (writing || !history_failing_)) spdlog::error("{}", recorded.error().message);
  if (!writing && !history_failing_) {
    history_failing_ = true;
    Raise(EventType::kHistoryWriteFailed, name, recorded.ok() ? "history store: a write failed" : recorded.error().message,
          {{"path", history_->store().options().path}});
  } else if (writing && history_failing_) {
    history_failing_ = false;
    Raise(EventType::kHistoryWriting, name, fmt::format("history store of {} writes again", name),
          {{"path", history_->store().options().path}});
  }
}

// A history that fell behind its replicas by more than kBehind periods is
// reported lost (fewer copies than configured hold the recent rows), and
// restored once they are within two periods again.
void NodeEngine::ReportReplicas() {
  constexpr uint64_t kBehind = 30, kCaughtUp = 2;
  if (!history_ || config_.history.copies <= 0) return;
  const uint64_t lag = history_->ReplicaLag();
  const std::string name = config_.node_name;
  if (!replicas_behind_ && lag > kBehind) {
    replicas_behind_ = true;
    Raise(EventType::kReplicaLost, name,
          fmt::format("history of {} is {} period(s) ahead of its {} replica(s)", name, lag, config_.history.copies),
          {{"lag_periods", std::to_string(lag)}, {"copies", std::to_string(config_.history.copies)}});
  } else if (replicas_behind_ && lag <= kCaughtUp) {
    replicas_behind_ = false;
    Raise(EventType::kReplicaRestored, name, fmt::format("history of {} is on its replicas again", name),
          {{"lag_periods", std::to_string(lag)}, {"copies", std::to_string(config_.history.copies)}});
  }
}

}  // namespace shoal::engine
