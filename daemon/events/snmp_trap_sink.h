// Events as SNMP v2c traps (net-snmp), one datagram per event to a trap
// receiver, under SHOAL-MIB (daemon/events/SHOAL-MIB.txt): the trap OID
// names the event type (shoalNodeFailed ...; kTrapBase.0.N with N the
// type's place in engine::EventKinds() + 1) and the variables carry the
// type, severity, node, subject, text, time (RFC 3339), facts and sequence
// number. UDP: sending never waits; a send that fails is counted as
// dropped. The MIB's root, experimental.7946, stands until a private
// enterprise number is assigned.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "daemon/events/event_config.h"
#include "daemon/events/sink.h"

namespace shoal::daemon {

// 1.3.6.1.3.7946
inline constexpr unsigned long kTrapBase[] = {1, 3, 6, 1, 3, 7946};

class SnmpTrapSink final : public EventSink {
 public:
  // Opens the session; an error names the target that cannot be used.
  static Result<std::unique_ptr<SnmpTrapSink>> Open(const TrapConfig& config);
  ~SnmpTrapSink() override;

  std::string name() const override { return "snmp_trap " + config_.target; }
  std::string kind() const override { return "snmp_trap"; }
  void Offer(const control::Event& e) override;
  SinkCounters counters() const override { return counters_; }

 private:
  SnmpTrapSink(TrapConfig config, void* session) : config_(std::move(config)), session_(session) {}

  TrapConfig config_;
  void* session_;  // net-snmp's single-session handle
  SinkCounters counters_;
};

}  // namespace shoal::daemon
