#include "store/figures.h"

#include <algorithm>

#include "core/squeeze.h"

namespace shoal::store {

bool Squeezed(const Sample& s) { return IsSqueezed(s.demand, s.usage, s.allocation); }

bool Idle(const Sample& s) { return IsIdle(s.usage, s.booking); }

Figures RawFigures(const Sample& s) {
  const uint32_t demand = std::max(s.demand, s.usage);
  return Figures{.samples = 1,
                 .usage_sum = s.usage,
                 .usage_peak = s.usage,
                 .demand_sum = demand,
                 .demand_peak = demand,
                 .booking_sum = s.booking,
                 .allocation_sum = s.allocation,
                 .capacity_sum = s.capacity,
                 .rss_kb_sum = s.rss_kb,
                 .processes_sum = s.processes,
                 .squeezed = Squeezed(s) ? 1u : 0u,
                 .idle = Idle(s) ? 1u : 0u};
}

void Merge(Figures& into, const Figures& from) {
  into.samples += from.samples;
  into.usage_sum += from.usage_sum;
  into.usage_peak = std::max(into.usage_peak, from.usage_peak);
  into.demand_sum += from.demand_sum;
  into.demand_peak = std::max(into.demand_peak, from.demand_peak);
  into.booking_sum += from.booking_sum;
  into.allocation_sum += from.allocation_sum;
  into.capacity_sum += from.capacity_sum;
  into.rss_kb_sum += from.rss_kb_sum;
  into.processes_sum += from.processes_sum;
  into.squeezed += from.squeezed;
  into.idle += from.idle;
}

namespace {
double Per(uint64_t sum, const Figures& f) {
  return f.samples ? static_cast<double>(sum) / f.samples : 0.0;
}
}  // namespace

double AvgUsage(const Figures& f) { return Per(f.usage_sum, f); }
double AvgDemand(const Figures& f) { return Per(f.demand_sum, f); }
double AvgBooking(const Figures& f) { return Per(f.booking_sum, f); }
double AvgAllocation(const Figures& f) { return Per(f.allocation_sum, f); }
double AvgCapacity(const Figures& f) { return Per(f.capacity_sum, f); }
double AvgRssKb(const Figures& f) { return Per(f.rss_kb_sum, f); }

}  // namespace shoal::store
