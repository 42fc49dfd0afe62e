// shoald's configuration: a TOML file (default /etc/shoal/shoald.toml)
// over a preset, then command-line flags over both. Every key, its default
// and its meaning is listed in daemon/shoald.toml.example. A key that is
// unknown, of the wrong type or out of range stops start-up with a message
// naming the file, line and key; every error of the file is named at once
// (shoald --check-config). Host names are resolved and the advertised
// address chosen later, at start (daemon/addresses.h). Plain value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/result.h"
#include "daemon/events/event_config.h"
#include "daemon/pipe_config.h"
#include "gossip/config.h"

namespace shoal::daemon {

struct CpuConfig {
  int64_t capacity_millicores = 0;  // offered to the pool; 0: every CPU of the server
  std::string enforcer = "auto";    // auto | systemd | cgroup-v2 | cgroup-v1 | nice | off
  std::string cgroup_parent = "shoal";
  int sample_every_ms = 1000;
  int full_scan_every = 30;         // samples between full /proc scans
  std::string plan_from = "pool-size";  // statuses | figures | pool-size (daemon/engine/planning_way.h)
  int figures_at_nodes = 48;            // with pool-size
};

struct ControlConfig {
  Endpoint listen{0x7f000001, 7947};  // 127.0.0.1:7947; port 0: no control API
  std::string tokens_file = "/etc/shoal/tokens";
  // Public keys of the admins whose signed actions (history deletion and
  // archiving) this node takes; a missing file: it takes none.
  std::string admin_keys_file = "/etc/shoal/admin-keys";
};

struct HttpConfig {
  Endpoint listen;             // none (the default): no HTTP listener
  bool require_token = false;  // /metrics wants a read token
};

struct HistoryConfig {
  bool enabled = true;
  std::string path;       // default: STATE_DIR/history
  std::string archive_dir;  // default: STATE_DIR/archive
  int copies = 2;         // replicas of this node's history beside itself
  int keep_raw_hours = 24;
  int keep_minutes_days = 31;
  int keep_hours_days = 400;
  int keep_events_days = 400;
};

struct TriggersConfig {
  std::string scripts_dir;               // empty: policies' <run script> is refused
  std::string scripts_user = "nobody";   // scripts run as this user, never root
};

struct DaemonConfig {
  std::string node_name;           // default: the host name
  Endpoint bind{0, 7946};          // default 0.0.0.0:7946
  Endpoint advertise;              // default: bind, else chosen at start (addresses.h)
  std::vector<std::string> seeds;  // peers to join through: "host[:port]" or "a.b.c.d[:port]"
  std::vector<Endpoint> seed_addresses;  // the seeds resolved at start (addresses.h)
  std::string key_file = "/etc/shoal/pool.key";
  std::string state_dir = "/var/lib/shoal";
  std::string log_level = "info";
  std::string log_format = "auto";  // auto | text | json | journal (core/logging.h)
  std::string preset = "lan";      // lan | local
  int report_every_ms = 0;         // print membership and view (0: never)
  int probe_every_ms = 0;          // start a pool probe this often (0: never)
  // Everything this node dates (history, policy versions, events,
  // schedules) is this far off the system's clock: a clock step for fault
  // tests (bench/chaos.py), taken at once on SIGHUP. 0 in production.
  int64_t wall_clock_offset_ms = 0;
  gossip::GossipConfig gossip = gossip::GossipConfig::Lan();
  CpuConfig cpu;
  ControlConfig control;
  HttpConfig http;
  HistoryConfig history;
  TriggersConfig triggers;
  EventsConfig events;        // [events] (daemon/events/event_config.h)
  BandwidthConfig bandwidth;  // [pipe.NAME] and [bandwidth] (pipe_config.h)

  // Fills defaults that depend on other keys, then checks everything; the
  // error names every problem, one per line.
  Status Finish();
};

// The preset's gossip settings; an error names the unknown preset.
Result<gossip::GossipConfig> GossipPreset(const std::string& name);

// Reads `path` over `config`. A missing file is an error only if
// `required` (an explicit --config); errors name file, line and key. The
// file's `preset` is applied first, unless `keep_preset` (a --preset flag
// already chose one); its [gossip] keys then override the preset.
Status LoadConfigFile(const std::string& path, bool required, bool keep_preset,
                      DaemonConfig& config);
// The same for a file's text; errors name `path` as its source.
Status LoadConfigText(std::string_view text, const std::string& path, bool keep_preset, DaemonConfig& config);

}  // namespace shoal::daemon
