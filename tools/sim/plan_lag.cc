#include "tools/sim/plan_lag.h"

#include "daemon/engine/node_status.h"

namespace shoal::sim {

void PlanLag::Observe(FullPool& pool) {
  for (size_t j = 0; j < pool.size(); ++j) {
    if (!pool.running(j)) continue;
    engine::NodeEngine& origin = pool.engine(j);
    if (const auto* own = origin.pool().Find(origin.self())) published_[origin.self()][own->version] = own->received;
  }
}

uint64_t PlanLag::UsedVersion(const engine::NodeEngine& e, const engine::PoolView& view, NodeId origin) {
  if (e.planned_from_snapshot() && e.snapshots().current()) {
    const auto& channels = e.snapshots().current()->channels;
    auto channel = channels.find(engine::kNodeChannel);
    if (channel == channels.end()) return 0;
    auto entry = channel->second.find(origin);
    return entry == channel->second.end() ? 0 : entry->second.version;
  }
  const auto* seen = view.Find(origin);
  return seen ? seen->version : 0;
}

void PlanLag::Sample(FullPool& pool) {
  const TimePoint now = pool.now();
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.running(i)) continue;
    ++node_samples_;
    engine::NodeEngine& e = pool.engine(i);
    if (e.planned_from_snapshot()) ++from_snapshot_;
    const engine::PoolView& view = e.pool();
    for (const auto& [origin, versions] : published_) {
      if (versions.empty()) continue;
      // The first version after the one used: superseded since it was published.
      auto next = versions.upper_bound(UsedVersion(e, view, origin));
      const double lag = next == versions.end() ? 0.0 : ToMillis(now - next->second);
      if (lag > 0) ++behind_;
      lag_ms_.Add(lag);
    }
  }
}

}  // namespace shoal::sim
