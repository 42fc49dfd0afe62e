#include "daemon/engine/pipe_demand.h"

#include <algorithm>

#include <fmt/format.h>

#include "pipe_demand.pb.h"

namespace shoal::engine {
namespace {

Result<LaneDemand> DecodeLane(const wire::PipeLaneDemand& w) {
  if (w.lane() >= kMaxLanes) return MakeError("lane {} beyond {}", w.lane(), kMaxLanes - 1);
  if (w.slots_size() != w.bytes_size()) {
    return MakeError("lane {}: {} slots but {} figures", w.lane(), w.slots_size(), w.bytes_size());
  }
  LaneDemand lane;
  lane.lane = w.lane();
  std::vector<bool> seen;
  for (int i = 0; i < w.slots_size(); ++i) {
    const uint32_t slot = w.slots(i);
    if (slot >= kMaxSlots) return MakeError("lane {}: slot {} beyond {}", w.lane(), slot, kMaxSlots - 1);
    if (slot >= lane.bytes.size()) {
      lane.bytes.resize(slot + 1, 0);
      seen.resize(slot + 1, false);
    }
    if (seen[slot]) return MakeError("lane {}: slot {} twice", w.lane(), slot);
    if (w.bytes(i) > kMaxDemandBytes) return MakeError("lane {}: slot {} wants {} bytes", w.lane(), slot, w.bytes(i));
    seen[slot] = true;
    lane.bytes[slot] = w.bytes(i);
  }
  return lane;
}

size_t Significant(const std::vector<uint64_t>& v) {
  size_t n = v.size();
  while (n > 0 && v[n - 1] == 0) --n;
  return n;
}

}  // namespace

bool LaneDemand::operator==(const LaneDemand& o) const {
  const size_t n = Significant(bytes);
  return lane == o.lane && n == Significant(o.bytes) && std::equal(bytes.begin(), bytes.begin() + n, o.bytes.begin());
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
  for (const LaneDemand& lane : d.lanes) {
    auto* l = w.add_lanes();
    l->set_lane(lane.lane);
    for (size_t slot = 0; slot < lane.bytes.size(); ++slot) {
      if (lane.bytes[slot] == 0) continue;
      l->add_slots(static_cast<uint32_t>(slot));
      l->add_bytes(std::min(lane.bytes[slot], kMaxDemandBytes));
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
  for (const auto& wl : w.lanes()) {
    auto lane = DecodeLane(wl);
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
