// Events into the daemon's log: a line per event at its severity, with
// structured fields when the log goes to the journal or is JSON
// (core/logging.h): SHOAL_EVENT (the type), SHOAL_EVENT_SEVERITY,
// SHOAL_SUBJECT, SHOAL_EVENT_SEQ and SHOAL_FACT_<NAME> per fact, so that
// `journalctl SHOAL_EVENT=node.failed` finds them. In the text format
// (a terminal) the lines are at debug level: the engine's own log lines
// already say what happened.
#pragma once

#include "daemon/events/sink.h"

namespace shoal::daemon {

class JournalSink final : public EventSink {
 public:
  std::string name() const override { return "journal"; }
  std::string kind() const override { return "journal"; }
  void Offer(const control::Event& e) override;
  SinkCounters counters() const override { return counters_; }

 private:
  SinkCounters counters_;
};

}  // namespace shoal::daemon
