// An event (events.proto) as people and programs read it: JSON for
// webhooks, scripts' standard input and `shoalctl events --json`, times
// as RFC 3339. Shared by shoald's sinks and shoalctl.
#pragma once

#include <cstdint>
#include <string>

#include "events.pb.h"

namespace shoal::daemon::control {

// "2026-12-04T07:20:01.123Z".
std::string Rfc3339(int64_t ms);
// One JSON object on one line: type, severity, time (RFC 3339), time_ms,
// node, seq, subject, text, facts.
std::string EventJson(const Event& e);

}  // namespace shoal::daemon::control
