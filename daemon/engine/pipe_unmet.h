// Bandwidth bookings that cannot be met, followed from the pool-wide pipe
// report (pipe_report.h) once per sampling period: an application whose
// booking on a lane is wanted (its demand) but whose allocation over the
// pool stays under 98% of min(booking, demand) for `after` periods in a
// row cannot be met (a partition leaves its side part of the pipe, the
// policies in force book more than the view holds); met again once it
// gets it for `after` periods. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/pipe_report.h"

namespace shoal::engine {

struct PipeUnmetChange {
  PipeLane lane;
  std::string app;
  bool unmet = false;   // false: met again
  uint64_t wanted = 0;  // min(booking, demand), bytes per second
  uint64_t got = 0;     // allocated over the pool
};

class PipeUnmet {
 public:
  explicit PipeUnmet(int after = 3) : after_(after) {}
  std::vector<PipeUnmetChange> Follow(const std::vector<PipeLaneReport>& report);
  // Forgets every state (a new document).
  void Clear() { state_.clear(); }

 private:
  struct State {
    bool unmet = false;
    int streak = 0;  // periods in a row that disagree with `unmet`
  };
  int after_;
  std::map<std::pair<std::string, std::string>, State> state_;  // by lane series name and application
};

}  // namespace shoal::engine
