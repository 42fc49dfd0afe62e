#include "daemon/events/event_sinks.h"

#include "daemon/events/journal_sink.h"
#include "daemon/events/script_sink.h"
#include "daemon/events/snmp_trap_sink.h"
#include "daemon/events/webhook_sink.h"

namespace shoal::daemon {

Result<std::unique_ptr<EventSinks>> EventSinks::Create(boost::asio::io_context& io, const EventsConfig& config,
                                                       ScriptRunner* scripts) {
  auto out = std::make_unique<EventSinks>();
  if (config.journal) out->sinks_.push_back(std::make_unique<JournalSink>());
  if (!config.script.empty()) {
    if (scripts == nullptr) return MakeError("events.script {}: this node runs no scripts", config.script);
    out->sinks_.push_back(std::make_unique<ScriptSink>(*scripts, config.script, config.script_filter,
                                                       std::chrono::milliseconds(config.script_timeout_ms)));
  }
  for (const auto& w : config.webhooks) {
    if (auto u = ParseHttpUrl(w.url); !u.ok()) return u.error();
    out->sinks_.push_back(std::make_unique<WebhookSink>(io, w));
  }
  for (const auto& t : config.traps) {
    auto sink = SnmpTrapSink::Open(t);
    if (!sink.ok()) return sink.error();
    out->sinks_.push_back(std::move(*sink));
  }
  return out;
}

}  // namespace shoal::daemon
