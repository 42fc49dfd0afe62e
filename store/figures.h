// Figures of a series: one sample's, their merge over a bucket of time, and
// what a reader derives from them. Thread-safe.
#pragma once

#include <cstdint>


namespace shoal::store {

// One sample of a series. Millicores for CPU (bytes per second for pipes).
struct Sample {
  uint32_t usage = 0;
  uint32_t demand = 0;      // raised to usage if lower
  uint32_t booking = 0;
  uint32_t allocation = 0;  // pipes: the credit
  uint32_t capacity = 0;    // nodes and pipes
  uint64_t rss_kb = 0;
  uint32_t processes = 0;
};

// Squeezed and idle as core/squeeze.h says.
bool Squeezed(const Sample& s);
bool Idle(const Sample& s);

// Figures of a series (an application's instance on a node, a node, a pipe)
// over one or more samples: sums, so that merging is exact. A raw row holds
// one sample; a roll-up row the merge of the rows it covers.
struct Figures {
  uint32_t samples = 0;
  uint64_t usage_sum = 0;
  uint32_t usage_peak = 0;
  uint64_t demand_sum = 0;
  uint32_t demand_peak = 0;
  uint64_t booking_sum = 0;
  uint64_t allocation_sum = 0;
  uint64_t capacity_sum = 0;
  uint64_t rss_kb_sum = 0;
  uint64_t processes_sum = 0;
  uint32_t squeezed = 0;  // samples that wanted more than their allocation
  uint32_t idle = 0;      // samples that used next to nothing
  bool operator==(const Figures&) const = default;
};

Figures RawFigures(const Sample& s);
// Adds `from` into `into`: counts and sums add, peaks take the larger.
void Merge(Figures& into, const Figures& from);

// Averages per sample (0 without samples).
double AvgUsage(const Figures& f);
double AvgDemand(const Figures& f);
double AvgBooking(const Figures& f);
double AvgAllocation(const Figures& f);
double AvgCapacity(const Figures& f);
double AvgRssKb(const Figures& f);

}  // namespace shoal::store
