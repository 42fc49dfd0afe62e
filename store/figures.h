// Figures of a series (store/history.proto): one sample's, their merge over
// a bucket of time, and what a reader derives from them. Thread-safe.
#pragma once

#include <cstdint>

#include "history.pb.h"

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

wire::Figures RawFigures(const Sample& s);
// Adds `from` into `into`: counts and sums add, peaks take the larger.
void Merge(wire::Figures& into, const wire::Figures& from);

// Averages per sample (0 without samples).
double AvgUsage(const wire::Figures& f);
double AvgDemand(const wire::Figures& f);
double AvgBooking(const wire::Figures& f);
double AvgAllocation(const wire::Figures& f);
double AvgCapacity(const wire::Figures& f);
double AvgRssKb(const wire::Figures& f);

}  // namespace shoal::store
