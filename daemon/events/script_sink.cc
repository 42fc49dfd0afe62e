#include "daemon/events/script_sink.h"

#include <spdlog/spdlog.h>

#include "daemon/control/event_format.h"

namespace shoal::daemon {

ScriptSink::ScriptSink(ScriptRunner& runner, std::string script, EventFilter filter, Duration timeout)
    : runner_(runner), script_(std::move(script)), filter_(std::move(filter)), timeout_(timeout) {}

ScriptSink::~ScriptSink() { *alive_ = false; }

std::map<std::string, std::string> ScriptSink::Environment(const control::Event& e) {
  std::map<std::string, std::string> env = {
      {"SHOAL_EVENT_TYPE", e.type()},         {"SHOAL_EVENT_SEVERITY", e.severity()},
      {"SHOAL_EVENT_NODE", e.node()},         {"SHOAL_EVENT_SUBJECT", e.subject()},
      {"SHOAL_EVENT_TEXT", e.text()},         {"SHOAL_EVENT_TIME", control::Rfc3339(e.time_ms())},
      {"SHOAL_EVENT_SEQ", std::to_string(e.seq())},
  };
  for (const auto& [k, v] : e.facts()) env[FactVariable(k)] = v;
  return env;
}

void ScriptSink::Offer(const control::Event& e) {
  if (!filter_.Passes(e)) return;
  if (waiting_.size() >= kMaxQueued) {
    ++counters_.dropped;
    return;
  }
  waiting_.push_back(e);
  StartWaiting();
}

void ScriptSink::StartWaiting() {
  while (running_ < kMaxRunning && !waiting_.empty()) {
    const control::Event e = std::move(waiting_.front());
    waiting_.pop_front();
    auto done = [this, alive = alive_, type = e.type()](const ScriptResult& r) {
      if (!*alive) return;
      --running_;
      if (r.exit_code == 0) {
        ++counters_.delivered;
      } else {
        ++counters_.failures;
        ++counters_.dropped;
        spdlog::warn("event script {} for {} {}", r.script, type,
                     r.timed_out ? "ended after its timeout" : fmt::format("exited with {}", r.exit_code));
      }
      StartWaiting();
    };
    Status s = runner_.Run(script_, Environment(e), timeout_, std::move(done), control::EventJson(e) + "\n");
    if (!s.ok()) {
      ++counters_.failures;
      ++counters_.dropped;
      spdlog::warn("event script for {}: {}", e.type(), s.error().message);
      continue;
    }
    ++running_;
  }
}

SinkCounters ScriptSink::counters() const {
  SinkCounters c = counters_;
  c.queued = waiting_.size();
  return c;
}

}  // namespace shoal::daemon
