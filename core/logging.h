// Logging setup for Shoal's programs: one spdlog logger whose lines carry
// the node's name. The engine logs through spdlog's default logger; level
// names are spdlog's (trace, debug, info, warn, error, critical, off).
//
// Formats: "text" (a line per message on standard error), "json" (an object
// per line on standard error, for log shippers) and "journal" (straight to
// systemd's journal with the message's priority and fields SHOAL_NODE and
// any LogField in scope). "auto" is journal when standard error is the
// journal's stream (systemd says so in $JOURNAL_STREAM), text otherwise.
//
// SetupLogging once at start-up, before other threads start; SetLogLevel
// at any time (SIGHUP reload). LogField is per thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace shoal {

Status CheckLogSettings(std::string_view level, std::string_view format);
Status SetupLogging(std::string_view level, std::string_view node_name, std::string_view format = "auto");
Status SetLogLevel(std::string_view level);

// The format SetupLogging chose ("text", "json" or "journal").
std::string_view LogFormatInUse();

// A structured field (e.g. SHOAL_PEER=web-3) added to every message this
// thread logs while it lives, in the journal and JSON formats; the text
// format leaves it out (the message says it). Names: upper case letters,
// digits and '_', as the journal wants. Scopes nest.
class LogField {
 public:
  LogField(std::string_view name, std::string_view value);
  ~LogField();
  LogField(const LogField&) = delete;
  LogField& operator=(const LogField&) = delete;
};

}  // namespace shoal
