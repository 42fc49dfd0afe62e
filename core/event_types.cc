#include "core/event_types.h"

#include <array>
#include <cctype>

namespace shoal {
namespace {

using enum EventType;
constexpr Severity kI = Severity::kInfo, kN = Severity::kNotice, kW = Severity::kWarning, kE = Severity::kError;

constexpr std::array kKinds{
    EventKind{kNodeJoined, "node.joined", kI, true, "a node joined the pool"},
    EventKind{kNodeSuspected, "node.suspected", kW, true, "a node stopped answering and is suspected"},
    EventKind{kNodeFailed, "node.failed", kE, true, "a node was declared failed"},
    EventKind{kNodeLeft, "node.left", kN, true, "a node left the pool gracefully"},
    EventKind{kNodeRecovered, "node.recovered", kN, true, "a suspected or failed node is alive again"},
    EventKind{kNameConflict, "node.name_conflict", kE, false, "this node's name is live elsewhere in the pool"},
    EventKind{kPolicyPushed, "policy.pushed", kN, false, "an operator pushed a policy through this node"},
    EventKind{kPolicyActivated, "policy.activated", kN, true, "a policy version became active in the pool"},
    EventKind{kPolicyRefused, "policy.refused", kW, false, "this node refused a pushed policy"},
    EventKind{kModeChanged, "mode.changed", kN, true, "the pool switched between monitor and enforce"},
    EventKind{kBookingUnmet, "booking.unmet", kW, true, "an application's booking cannot be met"},
    EventKind{kBookingMet, "booking.met", kI, true, "an application's booking is met again"},
    EventKind{kAppSqueezed, "app.squeezed", kW, true, "an application's demand stayed above its allocation"},
    EventKind{kAppIdle, "app.idle", kI, true, "an application used little of its booking for a sustained period"},
    EventKind{kTriggerFired, "trigger.fired", kN, false, "a policy trigger fired; raised where its actions run"},
    EventKind{kTriggerRefused, "trigger.refused", kW, false, "a trigger's script was refused or failed to start"},
    EventKind{kEnforcementError, "enforcement.error", kE, false, "this node could not enforce an application's share"},
    EventKind{kReplicaLost, "history.replica_lost", kW, false, "a history replica of this node fell behind or was lost"},
    EventKind{kReplicaRestored, "history.replica_restored", kI, false, "this node's history replicas are current again"},
    EventKind{kHistoryDeleted, "history.deleted", kN, false, "history rows were deleted at an admin's request"},
    EventKind{kKeyRotated, "key.rotated", kN, false, "this node's pool key changed"},
    EventKind{kHistoryWriteFailed, "history.write_failed", kE, false,
              "this node's history store cannot write: its disk is full or failing"},
    EventKind{kHistoryWriting, "history.writing", kI, false, "this node's history store writes again"},
};

}  // namespace

std::span<const EventKind> EventKinds() { return kKinds; }

const EventKind& KindOf(EventType type) { return kKinds[static_cast<size_t>(type)]; }

std::optional<EventType> EventTypeNamed(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name) return k.type;
  }
  return std::nullopt;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kNotice: return "notice";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "info";
}

std::optional<Severity> SeverityNamed(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kNotice, Severity::kWarning, Severity::kError}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

std::string FactVariable(std::string_view key) {
  std::string out = "SHOAL_FACT_";
  for (char c : key) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

}  // namespace shoal
