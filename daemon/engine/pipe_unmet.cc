#include "daemon/engine/pipe_unmet.h"

#include <algorithm>

#include "daemon/engine/pipe_period.h"

namespace shoal::engine {

std::vector<PipeUnmetChange> PipeUnmet::Follow(const std::vector<PipeLaneReport>& report) {
  std::vector<PipeUnmetChange> changes;
  for (const PipeLaneReport& lane : report) {
    for (const PipeAppReport& a : lane.apps) {
      if (a.booked == 0) continue;
      const uint64_t wanted = std::min(a.booked, a.figures.demand);
      const bool short_now = static_cast<double>(a.figures.allocated) < 0.98 * static_cast<double>(wanted);
      State& s = state_[{LaneSeriesName(lane.lane), a.app}];
      s.streak = short_now == s.unmet ? 0 : s.streak + 1;
      if (s.streak < after_) continue;
      s.unmet = short_now;
      s.streak = 0;
      changes.push_back({lane.lane, a.app, s.unmet, wanted, a.figures.allocated});
    }
  }
  return changes;
}

}  // namespace shoal::engine
