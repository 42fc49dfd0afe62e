#include "daemon/engine/pipe_demand.h"

#include <algorithm>

#include <fmt/format.h>

#include "pipe_demand.pb.h"

namespace shoal::engine {
namespace {

using Figures = google::protobuf::RepeatedField<uint64_t>;
using Into = std::pair<const Figures*, std::vector<uint64_t>*>;

// Fills each `into` vector (by slot) from sparse `slots` and its parallel
// figures, each at most `limit`.
Status ReadSparse(uint32_t lane, const google::protobuf::RepeatedField<uint32_t>& slots, uint64_t limit,
                  std::initializer_list<Into> into) {
  for (const auto& [figures, out] : into) {
    if (figures->size() != slots.size()) {
      return MakeError("lane {}: {} slots but {} figures", lane, slots.size(), figures->size());
    }
  }
  std::vector<bool> seen;
  for (int i = 0; i < slots.size(); ++i) {
    const uint32_t slot = slots.Get(i);
    if (slot >= kMaxSlots) return MakeError("lane {}: slot {} beyond {}", lane, slot, kMaxSlots - 1);
    if (slot >= seen.size()) seen.resize(slot + 1, false);
    if (seen[slot]) return MakeError("lane {}: slot {} twice", lane, slot);
    seen[slot] = true;
    for (const auto& [figures, out] : into) {
      if (figures->Get(i) > limit) return MakeError("lane {}: slot {} has {} (at most {})", lane, slot, figures->Get(i), limit);
      if (slot >= out->size()) out->resize(slot + 1, 0);
      (*out)[slot] = figures->Get(i);
    }
  }
  return Status::Ok();
}

// `period`: the figure carries the period figures and fallback (else
// whatever is in those fields is not read).
Result<LaneDemand> DecodeLane(const wire::PipeLaneDemand& w, bool period) {
  if (w.lane() >= kMaxLanes) return MakeError("lane {} beyond {}", w.lane(), kMaxLanes - 1);
  LaneDemand lane;
  lane.lane = w.lane();
  if (auto s = ReadSparse(w.lane(), w.slots(), kMaxDemandBytes, {Into{&w.bytes(), &lane.bytes}}); !s.ok()) {
    return s.error();
  }
  if (!period) return lane;
  auto figures = ReadSparse(w.lane(), w.period_slots(), kMaxRate,
                            {Into{&w.used(), &lane.used}, Into{&w.allocated(), &lane.allocated}});
  if (!figures.ok()) return figures.error();
  if (w.fallback() > kMaxDemandBytes) return MakeError("lane {}: falls back to {} bytes", w.lane(), w.fallback());
  lane.fallback = w.fallback();
  return lane;
}

size_t Significant(const std::vector<uint64_t>& v) {
  size_t n = v.size();
  while (n > 0 && v[n - 1] == 0) --n;
  return n;
}

bool SameFigures(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  const size_t n = Significant(a);
  return n == Significant(b) && std::equal(a.begin(), a.begin() + n, b.begin());
}

uint64_t At(const std::vector<uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

}  // namespace

bool LaneDemand::operator==(const LaneDemand& o) const {
  return lane == o.lane && fallback == o.fallback && SameFigures(bytes, o.bytes) && SameFigures(used, o.used) &&
         SameFigures(allocated, o.allocated);
}

const LaneDemand* PipeDemand::Find(uint32_t lane) const {
  auto it = std::lower_bound(lanes.begin(), lanes.end(), lane,
                             [](const LaneDemand& l, uint32_t v) { return l.lane < v; });
  return it != lanes.end() && it->lane == lane ? &*it : nullptr;
}

Result<std::string> EncodePipeDemand(const PipeDemand& d) {
  wire::PipeDemand w;
  w.set_round(d.round);
  w.set_document(d.document);
  w.set_period(d.period);
  for (const LaneDemand& lane : d.lanes) {
    auto* l = w.add_lanes();
    l->set_lane(lane.lane);
    for (size_t slot = 0; slot < lane.bytes.size(); ++slot) {
      if (lane.bytes[slot] == 0) continue;
      l->add_slots(static_cast<uint32_t>(slot));
      l->add_bytes(std::min(lane.bytes[slot], kMaxDemandBytes));
    }
    if (!d.period) continue;
    l->set_fallback(std::min(lane.fallback, kMaxDemandBytes));
    for (size_t slot = 0; slot < std::max(lane.used.size(), lane.allocated.size()); ++slot) {
      if (At(lane.used, slot) == 0 && At(lane.allocated, slot) == 0) continue;
      l->add_period_slots(static_cast<uint32_t>(slot));
      l->add_used(std::min(At(lane.used, slot), kMaxRate));
      l->add_allocated(std::min(At(lane.allocated, slot), kMaxRate));
    }
  }
  std::string out = w.SerializeAsString();
  if (out.size() > kPipeDemandMaxBytes) {
    return MakeError("pipe demand of {} lane(s) takes {} bytes, over the channel's {}", d.lanes.size(), out.size(),
                     kPipeDemandMaxBytes);
  }
  return out;
}

Result<PipeDemand> DecodePipeDemand(std::string_view payload) {
  wire::PipeDemand w;
  if (payload.size() > kPipeDemandMaxBytes || !w.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Error{"not a pipe demand"};
  }
  PipeDemand d;
  d.round = w.round();
  d.document = w.document();
  d.period = w.period();
  for (const auto& wl : w.lanes()) {
    auto lane = DecodeLane(wl, w.period());
    if (!lane.ok()) return lane.error();
    if (!d.lanes.empty() && d.lanes.back().lane >= lane->lane) {
      return MakeError("lane {} out of order or repeated", lane->lane);
    }
    d.lanes.push_back(std::move(*lane));
  }
  return d;
}

uint64_t DocumentDigest(std::string_view version_text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : version_text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace shoal::engine
