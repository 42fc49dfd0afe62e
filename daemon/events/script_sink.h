// Events to a script of this node's choosing ([events] script), run by the
// triggers' runner (daemon/script_runner.h: inside the scripts directory,
// as the unprivileged scripts user, its own process group, a timeout).
// The event is in the environment (SHOAL_EVENT_TYPE, SHOAL_EVENT_SEVERITY,
// SHOAL_EVENT_NODE, SHOAL_EVENT_SUBJECT, SHOAL_EVENT_TEXT, SHOAL_EVENT_TIME,
// SHOAL_EVENT_SEQ, SHOAL_FACT_<NAME>) and, as one JSON object, on standard
// input. At most kMaxRunning run at once; kMaxQueued more wait; beyond
// that events are dropped and counted.
#pragma once

#include <deque>

#include "daemon/events/event_filter.h"
#include "daemon/events/sink.h"
#include "daemon/script_runner.h"

namespace shoal::daemon {

class ScriptSink final : public EventSink {
 public:
  static constexpr size_t kMaxRunning = 4;
  static constexpr size_t kMaxQueued = 256;

  // `runner` outlives the sink.
  ScriptSink(ScriptRunner& runner, std::string script, EventFilter filter, Duration timeout);
  ~ScriptSink() override;

  std::string name() const override { return "script " + script_; }
  std::string kind() const override { return "script"; }
  void Offer(const control::Event& e) override;
  SinkCounters counters() const override;

  // The environment a script sees for `e`.
  static std::map<std::string, std::string> Environment(const control::Event& e);

 private:
  void StartWaiting();

  ScriptRunner& runner_;
  std::string script_;
  EventFilter filter_;
  Duration timeout_;
  std::deque<control::Event> waiting_;
  size_t running_ = 0;
  SinkCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::daemon
