#include "daemon/events/journal_sink.h"

#include <list>

#include <spdlog/spdlog.h>

#include "core/logging.h"

namespace shoal::daemon {
namespace {

// In the text format the engine's own lines already say what happened:
// the event's line is for debugging there.
spdlog::level::level_enum Level(const std::string& severity) {
  if (LogFormatInUse() == "text") return spdlog::level::debug;
  if (severity == "error") return spdlog::level::err;
  if (severity == "warning") return spdlog::level::warn;
  return spdlog::level::info;
}

}  // namespace

void JournalSink::Offer(const control::Event& e) {
  std::list<LogField> fields;  // LogField is neither copyable nor movable
  fields.emplace_back("SHOAL_EVENT", e.type());
  fields.emplace_back("SHOAL_EVENT_SEVERITY", e.severity());
  fields.emplace_back("SHOAL_SUBJECT", e.subject());
  fields.emplace_back("SHOAL_EVENT_SEQ", std::to_string(e.seq()));
  for (const auto& [k, v] : e.facts()) fields.emplace_back(FactVariable(k), v);
  spdlog::log(Level(e.severity()), "event {}: {}", e.type(), e.text());
  // Scopes end in reverse order of creation, as LogField wants.
  while (!fields.empty()) fields.pop_back();
  ++counters_.delivered;
}

}  // namespace shoal::daemon
