#include "policy/pool_figures.h"

namespace shoal::policy {

void AppFigures::Merge(const AppFigures& other) {
  instances += other.instances;
  demand += other.demand;
  usage += other.usage;
  booked += other.booked;
  allocated += other.allocated;
  node_capacity += other.node_capacity;
  bookable.Merge(other.bookable);
  room.Merge(other.room);
  cappable.Merge(other.cappable);
  capacity.Merge(other.capacity);
}

void PoolFigures::Merge(const PoolFigures& other) {
  nodes += other.nodes;
  capacity += other.capacity;
  for (const auto& [name, app] : other.apps) apps[name].Merge(app);
}

size_t PoolFigures::bins() const {
  size_t n = 0;
  for (const auto& [name, app] : apps) {
    n += app.bookable.bins() + app.room.bins() + app.cappable.bins() + app.capacity.bins();
  }
  return n;
}

}  // namespace shoal::policy
