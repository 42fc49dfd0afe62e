// The types of Shoal's events, one vocabulary for every place an event
// is raised, matched or shown: the engine's event log
// (daemon/engine/events.h), policy triggers on events (policy/triggers.h),
// the sinks and SHOAL-MIB. Each type has a fixed severity and says whether
// it is pool-wide (seen alike by every node, raised once for the pool) or
// local (raised by the node it happened on). Append only: the SNMP trap
// numbers are the list's order.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shoal {

enum class Severity { kInfo, kNotice, kWarning, kError };

enum class EventType {
  kNodeJoined,
  kNodeSuspected,
  kNodeFailed,
  kNodeLeft,
  kNodeRecovered,
  kNameConflict,
  kPolicyPushed,
  kPolicyActivated,
  kPolicyRefused,
  kModeChanged,
  kBookingUnmet,
  kBookingMet,
  kAppSqueezed,
  kAppIdle,
  kTriggerFired,
  kTriggerRefused,
  kEnforcementError,
  kReplicaLost,
  kReplicaRestored,
  kHistoryDeleted,
  kKeyRotated,
  kHistoryWriteFailed,
  kHistoryWriting,
};

struct EventKind {
  EventType type;
  std::string_view name;  // "node.failed"
  Severity severity;
  bool pool_wide;         // raised once for the pool
  std::string_view help;  // one line, for docs and the MIB
};

// Every type, in the enum's order (the SNMP trap numbers are index + 1).
std::span<const EventKind> EventKinds();
const EventKind& KindOf(EventType type);
std::optional<EventType> EventTypeNamed(std::string_view name);
std::string_view SeverityName(Severity s);
std::optional<Severity> SeverityNamed(std::string_view name);

// A fact's name as an environment variable or journal field:
// "lag_periods" -> SHOAL_FACT_LAG_PERIODS (what neither takes becomes '_').
std::string FactVariable(std::string_view key);

}  // namespace shoal
