#include "store/figures.h"

#include <algorithm>

#include "core/squeeze.h"

namespace shoal::store {

bool Squeezed(const Sample& s) { return IsSqueezed(s.demand, s.usage, s.allocation); }

bool Idle(const Sample& s) { return IsIdle(s.usage, s.booking); }

wire::Figures RawFigures(const Sample& s) {
  wire::Figures f;
  const uint32_t demand = std::max(s.demand, s.usage);
  f.set_samples(1);
  f.set_usage_sum(s.usage);
  f.set_usage_peak(s.usage);
  f.set_demand_sum(demand);
  f.set_demand_peak(demand);
  f.set_booking_sum(s.booking);
  f.set_allocation_sum(s.allocation);
  f.set_capacity_sum(s.capacity);
  f.set_rss_kb_sum(s.rss_kb);
  f.set_processes_sum(s.processes);
  f.set_squeezed(Squeezed(s) ? 1 : 0);
  f.set_idle(Idle(s) ? 1 : 0);
  return f;
}

void Merge(wire::Figures& into, const wire::Figures& from) {
  into.set_samples(into.samples() + from.samples());
  into.set_usage_sum(into.usage_sum() + from.usage_sum());
  into.set_usage_peak(std::max(into.usage_peak(), from.usage_peak()));
  into.set_demand_sum(into.demand_sum() + from.demand_sum());
  into.set_demand_peak(std::max(into.demand_peak(), from.demand_peak()));
  into.set_booking_sum(into.booking_sum() + from.booking_sum());
  into.set_allocation_sum(into.allocation_sum() + from.allocation_sum());
  into.set_capacity_sum(into.capacity_sum() + from.capacity_sum());
  into.set_rss_kb_sum(into.rss_kb_sum() + from.rss_kb_sum());
  into.set_processes_sum(into.processes_sum() + from.processes_sum());
  into.set_squeezed(into.squeezed() + from.squeezed());
  into.set_idle(into.idle() + from.idle());
}

namespace {
double Per(uint64_t sum, const wire::Figures& f) {
  return f.samples() ? static_cast<double>(sum) / f.samples() : 0.0;
}
}  // namespace

double AvgUsage(const wire::Figures& f) { return Per(f.usage_sum(), f); }
double AvgDemand(const wire::Figures& f) { return Per(f.demand_sum(), f); }
double AvgBooking(const wire::Figures& f) { return Per(f.booking_sum(), f); }
double AvgAllocation(const wire::Figures& f) { return Per(f.allocation_sum(), f); }
double AvgCapacity(const wire::Figures& f) { return Per(f.capacity_sum(), f); }
double AvgRssKb(const wire::Figures& f) { return Per(f.rss_kb_sum(), f); }

}  // namespace shoal::store
