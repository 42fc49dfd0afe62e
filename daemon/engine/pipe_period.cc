#include "daemon/engine/pipe_period.h"

#include <algorithm>
#include <limits>

namespace shoal::engine {
namespace {

uint32_t Stored(uint64_t bytes_per_s) {
  return static_cast<uint32_t>(std::min<uint64_t>(bytes_per_s, std::numeric_limits<uint32_t>::max()));
}

uint64_t At(const std::vector<uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

}  // namespace

void PipePeriod::Add(const LaneRound& r) {
  auto it = std::find_if(lanes_.begin(), lanes_.end(), [&](const Sums& s) { return s.lane.index == r.lane.index; });
  if (it == lanes_.end()) it = lanes_.insert(lanes_.end(), Sums{r.lane, 0, 0, {}});
  Sums& s = *it;
  const size_t slots = std::max({r.sent.size(), r.demand.size(), r.booked.size(), r.allocated.size()});
  if (s.slots.size() < slots) s.slots.resize(slots);
  ++s.rounds;
  s.node += r.node_credit;
  for (size_t i = 0; i < slots; ++i) {
    s.slots[i].used += At(r.sent, i);
    s.slots[i].demand += At(r.demand, i);
    s.slots[i].booked += At(r.booked, i);
    s.slots[i].allocated += At(r.allocated, i);
  }
}

std::vector<LanePeriod> PipePeriod::Take(Duration interval) {
  std::vector<LanePeriod> out;
  auto per_second = [&](uint64_t sum, uint64_t rounds) { return PerSecond(sum / rounds, interval); };
  for (const Sums& s : lanes_) {
    LanePeriod p{s.lane, per_second(s.node, s.rounds), {}};
    for (const SlotPeriod& slot : s.slots) {
      p.slots.push_back({per_second(slot.used, s.rounds), per_second(slot.demand, s.rounds),
                         per_second(slot.booked, s.rounds), per_second(slot.allocated, s.rounds)});
    }
    out.push_back(std::move(p));
  }
  lanes_.clear();
  return out;
}

std::string LaneSeriesName(const PipeLane& lane) {
  return lane.pipe + (lane.direction == policy::Direction::kIn ? "/in" : "/out");
}

std::vector<store::SeriesSample> PeriodSeries(const std::vector<LanePeriod>& period,
                                              const policy::PolicyDocument& doc) {
  std::vector<store::SeriesSample> out;
  for (const LanePeriod& l : period) {
    const std::string name = LaneSeriesName(l.lane.id);
    store::Sample total;
    total.capacity = Stored(l.lane.capacity);
    total.allocation = Stored(l.node_allocated);
    for (size_t slot = 0; slot < l.slots.size(); ++slot) {
      const SlotPeriod& s = l.slots[slot];
      if (s.used == 0 && s.demand == 0 && s.booked == 0 && s.allocated == 0) continue;
      store::Sample a;
      a.usage = Stored(s.used);
      a.demand = Stored(std::max(s.used, s.demand));
      a.booking = Stored(s.booked);
      a.allocation = Stored(s.allocated);
      total.usage = Stored(uint64_t{total.usage} + a.usage);
      total.demand = Stored(uint64_t{total.demand} + a.demand);
      total.booking = Stored(uint64_t{total.booking} + a.booking);
      out.push_back({name + "/" + SlotName(doc, slot), a});
    }
    out.push_back({name, total});
  }
  return out;
}

}  // namespace shoal::engine
