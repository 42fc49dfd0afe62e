// One destination of the node's events (a webhook, a script, SNMP traps,
// the journal): it takes an event at once and never blocks the caller;
// slow ones queue (bounded) and count what they could not deliver. Used
// from the daemon's io_context thread only.
#pragma once

#include <cstdint>
#include <string>

#include "core/event_types.h"
#include "events.pb.h"

namespace shoal::daemon {

struct SinkCounters {
  uint64_t delivered = 0;  // events handed over for good
  uint64_t failures = 0;   // attempts that failed (a retry may follow)
  uint64_t dropped = 0;    // events given up: queue full, retries spent, refused
  uint64_t queued = 0;     // waiting now
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // The sink's name for metrics and logs: "webhook http://...", "journal".
  virtual std::string name() const = 0;
  // The sink's kind: journal, script, webhook, snmp_trap.
  virtual std::string kind() const = 0;
  // Takes the event if the sink's filter passes it.
  virtual void Offer(const control::Event& e) = 0;
  virtual SinkCounters counters() const = 0;
};

}  // namespace shoal::daemon
