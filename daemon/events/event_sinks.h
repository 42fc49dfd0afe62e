// Every sink of this node's events, made from the [events] configuration
// (event_config.h) and fed by the engine's event log: the journal, a
// script, webhooks and SNMP trap receivers. The shell creates it and adds
// Offer as a sink of engine::EventLog; /metrics reads the counters. Use
// from the io_context's thread only.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/events/event_config.h"
#include "daemon/events/sink.h"
#include "daemon/script_runner.h"

namespace shoal::daemon {

class EventSinks {
 public:
  // `scripts` (needed only with [events] script) outlives the sinks. An
  // error names the sink that cannot be made.
  static Result<std::unique_ptr<EventSinks>> Create(boost::asio::io_context& io, const EventsConfig& config,
                                                    ScriptRunner* scripts);

  void Offer(const control::Event& e) {
    for (auto& s : sinks_) s->Offer(e);
  }
  const std::vector<std::unique_ptr<EventSink>>& sinks() const { return sinks_; }

 private:
  std::vector<std::unique_ptr<EventSink>> sinks_;
};

}  // namespace shoal::daemon
