// The lanes of a policy document: every pipe direction with a capacity, in
// document order, numbered pipe index x 2 + direction (in 0, out 1), and the
// application slots on each (the document's applications in order, then
// the rogue slot). Every node numbers them alike from the same document;
// the pipe demand (pipe_demand.h) and the pipe loop (pipe_loop.h) speak in
// these numbers. Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bwman/pipe_round.h"
#include "core/clock.h"
#include "daemon/engine/pipe_enforcer.h"
#include "policy/model.h"
#include "policy/schedule.h"

namespace shoal::engine {

struct Lane {
  uint32_t index = 0;
  PipeLane id;
  uint64_t capacity = 0;  // bytes per second
  double immediate_share = 0.5;
};

std::vector<Lane> DocumentLanes(const policy::PolicyDocument& doc);

// The slot's class name: the application's, or kRogueClass.
std::string SlotName(const policy::PolicyDocument& doc, size_t slot);
inline size_t SlotCount(const policy::PolicyDocument& doc) { return doc.applications.size() + 1; }
// The slot of the application named `app`: its place in the document, or
// the rogue slot (the last) for a name the document does not define.
size_t SlotOf(const policy::PolicyDocument& doc, const std::string& app);

// Bytes per `interval` at `bytes_per_s`.
uint64_t PerInterval(uint64_t bytes_per_s, Duration interval);
// Bytes per second from bytes per `interval`.
uint64_t PerSecond(uint64_t bytes, Duration interval);

// The bookings and caps in force on the lane, per slot, in bytes per
// interval (`effective`: the schedule's result, policy/schedule.h).
std::vector<bwman::AppTerms> TermsInForce(const Lane& lane, const policy::PolicyDocument& doc,
                                          const std::vector<policy::EffectivePolicy>& effective, Duration interval);

}  // namespace shoal::engine
