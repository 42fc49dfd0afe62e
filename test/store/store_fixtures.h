// What the history store's tests share: a store in a scratch directory
// (replica writes not synced), a period of a node with two applications,
// and a query of one application's rows.
#pragma once

#include <cstdint>
#include <string>

#include "store/history_store.h"
#include "test/support/temp_dir.h"

namespace shoal::store::testing_support {

// An hour's start (2023-11-14): buckets of any level line up with it.
inline constexpr int64_t kT0 = 1'700'000'000'000;
inline constexpr int64_t kStart = kT0 - kT0 % kHourMs;

inline StoreOptions Options(const testing::TempDir& dir, const std::string& name = "db") {
  StoreOptions o;
  o.path = dir.File(name);
  o.sync_replica_writes = false;
  return o;
}

inline Period PeriodAt(int64_t t, uint32_t usage, uint32_t demand, uint32_t allocation) {
  Period p;
  p.time_ms = t;
  p.node = Sample{.usage = usage, .demand = demand, .capacity = 2000};
  p.apps.push_back({"gold", Sample{.usage = usage, .demand = demand, .booking = 500, .allocation = allocation}});
  p.apps.push_back({"bronze", Sample{.usage = 100, .demand = 100, .booking = 0, .allocation = 100}});
  return p;
}

inline SeriesQuery AppQuery(const std::string& name, int64_t from, int64_t to, int64_t step, Level level) {
  SeriesQuery q;
  q.name = name;
  q.from_ms = from;
  q.to_ms = to;
  q.step_ms = step;
  q.level = level;
  return q;
}

}  // namespace shoal::store::testing_support
