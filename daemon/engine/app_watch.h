// Sustained conditions of an application, followed from one plan per
// sampling period (pool-wide figures, the same on every node):
//
// - squeezed: demand above allocation by more than max(5%, 50 millicores)
//   for `sustain` periods in a row; over after `sustain` periods without;
// - idle: a booked application using under 10% of its booking for
//   `idle_after` periods in a row; over at the first period above.
//
// Each start and end is reported once. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/cpu_planner.h"

namespace shoal::engine {

struct AppWatchOptions {
  int sustain = 10;      // periods (seconds at the default sampling)
  int idle_after = 60;   // periods
};

struct AppCondition {
  enum class Kind { kSqueezed, kIdle };
  Kind kind;
  std::string app;
  bool begun;  // false: it ended
  double demand = 0, usage = 0, allocated = 0, booked = 0;  // millicores, at the change
};

class AppWatch {
 public:
  explicit AppWatch(AppWatchOptions options = {}) : options_(options) {}

  // One period's plan; the conditions that began or ended with it.
  // A condition outlives policy changes (it is the application's).
  std::vector<AppCondition> Follow(const policy::CpuPlan& plan);

 private:
  struct State {
    int squeezed_run = 0, relieved_run = 0, idle_run = 0;
    bool squeezed = false, idle = false;
  };
  void FollowSqueeze(const policy::AppPlan& app, State& s, std::vector<AppCondition>& out) const;
  void FollowIdle(const policy::AppPlan& app, State& s, std::vector<AppCondition>& out) const;

  AppWatchOptions options_;
  std::map<std::string, State> state_;
};

}  // namespace shoal::engine
