#include "daemon/control/event_format.h"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace shoal::daemon::control {

std::string Rfc3339(int64_t ms) {
  const int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(secs);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(t), ms - secs * 1000);
}

std::string EventJson(const Event& e) {
  nlohmann::json j;
  j["type"] = e.type();
  j["severity"] = e.severity();
  j["time"] = Rfc3339(e.time_ms());
  j["time_ms"] = e.time_ms();
  j["node"] = e.node();
  j["seq"] = e.seq();
  j["subject"] = e.subject();
  j["text"] = e.text();
  j["facts"] = nlohmann::json::object();
  for (const auto& [k, v] : e.facts()) j["facts"][k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace shoal::daemon::control
