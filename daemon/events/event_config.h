// The [events] table of shoald's configuration: where the node's events go
// beside its history and `shoalctl events` (daemon/events/event_sinks.h).
//
//   [events]
//   journal = true                  # a structured log line per event
//   script = "/etc/shoal/scripts/on-event"   # inside [triggers] scripts_dir
//   script_types = ["node."]        # type prefixes (default: every type)
//   script_min_severity = "warning" # info, notice, warning, error
//   script_timeout_ms = 10000
//
//   [[events.webhook]]              # as many as wanted
//   url = "http://alerts.example:9000/shoal"
//   types = ["booking.", "node.failed"]
//   min_severity = "notice"
//   timeout_ms = 2000               # per attempt
//   retries = 5                     # then the event is dropped (counted)
//   queue = 1000                    # events waiting; beyond: dropped (counted)
//
//   [[events.snmp_trap]]            # SNMP v2c traps (SHOAL-MIB, daemon/events/SHOAL-MIB.txt)
//   target = "10.0.0.9:162"
//   community = "public"
//   min_severity = "warning"        # and types, as above
//
// Errors name file, line and key; every one is collected. Plain value types.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/endpoint.h"
#include "daemon/events/event_filter.h"
#include "daemon/toml_keys.h"

namespace shoal::daemon {

struct WebhookConfig {
  std::string url;  // http://HOST[:PORT][/PATH]
  EventFilter filter;
  int timeout_ms = 2000;
  int retries = 5;
  int queue = 1000;
};

struct TrapConfig {
  std::string target;  // HOST[:PORT], port 162 by default
  std::string community = "public";
  EventFilter filter;
};

struct EventsConfig {
  bool journal = true;
  std::string script;  // "": none
  EventFilter script_filter;
  int script_timeout_ms = 10000;
  std::vector<WebhookConfig> webhooks;
  std::vector<TrapConfig> traps;
};

void ReadEvents(const std::string& path, const toml::table& t, EventsConfig& c, ConfigErrors& errors);

// A webhook's URL split up; an error says what is wrong with it.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};
Result<HttpUrl> ParseHttpUrl(const std::string& url);

}  // namespace shoal::daemon
