// shoald's command line: the one-shot tools (--generate-key, --add-token,
// --check-config, ...) and the settings that override the configuration
// file. Plain value type and free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "daemon/config.h"

namespace shoal::daemon {

struct Flags {
  std::string config_path = "/etc/shoal/shoald.toml";
  bool config_given = false;
  std::vector<std::string> check_config;  // --check-config [FILE]: present, maybe with the file
  bool check_config_given = false;
  std::string generate_key, generate_token, add_token, generate_admin_key;
  std::string admin_keys_file, name, bind, advertise, key_file, state_dir, log_level, log_format, preset;
  std::vector<std::string> seeds;
  int period_ms = 0, fanout = 0, report_ms = -1, probe_ms = -1;
  int64_t cpu_millicores = -1;
  std::string enforcer, cgroup_parent, control, tokens_file, http;
};

// The configuration file: --check-config's FILE, else --config's.
const std::string& ConfigPath(const Flags& flags);

// Declares every flag on `app`, bound to `flags`.
void AddFlags(CLI::App& app, Flags& flags);

// The configuration: the file (a missing default file is no error), then
// the flags, then DaemonConfig::Finish. The error names every problem, a
// line each.
Result<DaemonConfig> LoadConfig(const Flags& flags);

}  // namespace shoal::daemon
