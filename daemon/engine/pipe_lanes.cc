#include "daemon/engine/pipe_lanes.h"

#include <algorithm>
#include <cmath>

namespace shoal::engine {
namespace {

// A share's amount (percent of the lane or bytes per second) in bytes per second.
uint64_t BytesPerSecond(const Lane& lane, bool percent, double amount) {
  const double v = percent ? amount / 100.0 * static_cast<double>(lane.capacity) : amount;
  return static_cast<uint64_t>(std::clamp(v, 0.0, 1e15));
}

}  // namespace

std::vector<Lane> DocumentLanes(const policy::PolicyDocument& doc) {
  std::vector<Lane> out;
  for (size_t p = 0; p < doc.pipes.size(); ++p) {
    const policy::PipeSpec& pipe = doc.pipes[p];
    auto add = [&](policy::Direction d, const std::optional<uint64_t>& capacity, uint32_t dir) {
      if (!capacity || *capacity == 0) return;
      out.push_back(Lane{static_cast<uint32_t>(p * 2 + dir), PipeLane{pipe.name, d}, *capacity, pipe.immediate_share});
    };
    add(policy::Direction::kIn, pipe.in, 0);
    add(policy::Direction::kOut, pipe.out, 1);
  }
  return out;
}

std::string SlotName(const policy::PolicyDocument& doc, size_t slot) {
  return slot < doc.applications.size() ? doc.applications[slot].name : kRogueClass;
}

size_t SlotOf(const policy::PolicyDocument& doc, const std::string& app) {
  const auto it = std::find_if(doc.applications.begin(), doc.applications.end(),
                               [&](const policy::ApplicationSpec& a) { return a.name == app; });
  return static_cast<size_t>(it - doc.applications.begin());
}

uint64_t PerInterval(uint64_t bytes_per_s, Duration interval) {
  const auto us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
  return bwman::MulDiv(bytes_per_s, us, 1'000'000);
}

uint64_t PerSecond(uint64_t bytes, Duration interval) {
  const auto us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
  return us == 0 ? 0 : bwman::MulDiv(bytes, 1'000'000, us);
}

std::vector<bwman::AppTerms> TermsInForce(const Lane& lane, const policy::PolicyDocument& doc,
                                          const std::vector<policy::EffectivePolicy>& effective, Duration interval) {
  std::vector<bwman::AppTerms> terms(SlotCount(doc));
  for (const policy::EffectivePolicy& e : effective) {
    const size_t slot = SlotOf(doc, e.application);
    if (slot == doc.applications.size()) continue;  // a policy names only defined applications
    bwman::AppTerms& t = terms[slot];
    for (const policy::BandwidthShare& b : e.bandwidth) {
      if (b.pipe != lane.id.pipe || b.direction != lane.id.direction) continue;
      t.booked = PerInterval(BytesPerSecond(lane, b.percent, b.amount), interval);
      if (b.cap) t.cap = PerInterval(BytesPerSecond(lane, b.percent, *b.cap), interval);
    }
  }
  return terms;
}

}  // namespace shoal::engine
