// What this node's pipes did over one sampling period (about a second):
// per lane and application slot, the bytes per second it sent, wanted,
// was granted of its booking and was allocated in all, averaged over the credit rounds divided in
// the period. The pipe loop adds each round; the engine takes the period
// for the history (series "PIPE/DIR/APP" and, for the lane as a whole on
// this node, "PIPE/DIR") and for the pipe channel (the pool-wide view).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "daemon/engine/pipe_lanes.h"
#include "store/history_store.h"

namespace shoal::engine {

// Bytes per second.
struct SlotPeriod {
  uint64_t used = 0, demand = 0, booked = 0, allocated = 0;
};

struct LanePeriod {
  Lane lane;
  uint64_t node_allocated = 0;   // the node's credit (at least a frame a round)
  std::vector<SlotPeriod> slots;  // by slot
};

// One round of a lane, in bytes per round, by slot.
struct LaneRound {
  const Lane& lane;
  uint64_t node_credit = 0;
  const std::vector<uint64_t>& sent;
  const std::vector<uint64_t>& demand;
  const std::vector<uint64_t>& booked;
  const std::vector<uint64_t>& allocated;
};

class PipePeriod {
 public:
  void Add(const LaneRound& r);
  // The averages since the last Take (per second, with credit rounds of
  // `interval`), and a new period begins. Lanes without a round are left out.
  std::vector<LanePeriod> Take(Duration interval);
  void Clear() { lanes_.clear(); }

 private:
  struct Sums {
    Lane lane;
    uint64_t rounds = 0, node = 0;
    std::vector<SlotPeriod> slots;  // sums of bytes per round
  };
  std::vector<Sums> lanes_;
};

// "PIPE/in" or "PIPE/out", the history's name of a lane; "LANE/APP" of an
// application's part of it.
std::string LaneSeriesName(const PipeLane& lane);
// The history's series of a period: one per lane (capacity: the lane's)
// and one per application that used, wanted, booked or was allocated
// anything. Figures above 2^32 - 1 bytes per second are stored as that.
std::vector<store::SeriesSample> PeriodSeries(const std::vector<LanePeriod>& period,
                                              const policy::PolicyDocument& doc);

}  // namespace shoal::engine
