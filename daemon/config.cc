#include "daemon/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <toml++/toml.h>

#include "core/logging.h"
#include "daemon/addresses.h"
#include "daemon/engine/planning_way.h"
#include "daemon/toml_keys.h"

namespace shoal::daemon {
namespace {

Status ReadEndpoint(const std::string& path, const toml::node& n, std::string_view key,
                    Endpoint& out) {
  std::string text;
  if (auto s = ReadString(path, n, key, text); !s.ok()) return s;
  auto e = Endpoint::Parse(text, 7946);
  if (!e.ok()) return MakeError("{}: {}", Where(path, n, key), e.error().message);
  out = *e;
  return Status::Ok();
}

Status ReadMillis(const std::string& path, const toml::node& n, std::string_view key, int64_t lo,
                  int64_t hi, Duration& out) {
  int64_t ms = 0;
  if (auto s = ReadInt(path, n, key, lo, hi, ms); !s.ok()) return s;
  out = std::chrono::milliseconds(ms);
  return Status::Ok();
}

void ReadGossip(const std::string& path, const toml::table& t, gossip::GossipConfig& g, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "gossip." + std::string(k.str());
    Status s;
    if (k == "period_ms") s = ReadMillis(path, n, key, 5, 1000, g.period);
    else if (k == "fanout") s = ReadInt(path, n, key, 1, 16, g.fanout);
    else if (k == "ttl") s = ReadInt(path, n, key, 1, 16, g.max_ttl);
    else if (k == "sends") s = ReadInt(path, n, key, 1, 16, g.sends);
    else if (k == "mtu") s = ReadInt(path, n, key, 256, 9000, g.mtu);
    else if (k == "suspect_timeout_ms") s = ReadMillis(path, n, key, 20, 600000, g.suspect_timeout);
    else if (k == "failure_timeout_ms") s = ReadMillis(path, n, key, 20, 600000, g.failure_timeout);
    else if (k == "suspect_probe_ms") s = ReadMillis(path, n, key, 0, 600000, g.suspect_probe_interval);
    else if (k == "probe_ms") s = ReadMillis(path, n, key, 0, 60000, g.probe_interval);
    else if (k == "probe_timeout_ms") s = ReadMillis(path, n, key, 10, 600000, g.probe_timeout);
    else if (k == "reap_after_s") {
      int64_t secs = 0;
      s = ReadInt(path, n, key, 1, 86400 * 7, secs);
      g.reap_after = std::chrono::seconds(secs);
    } else {
      s = MakeError("{} is not a known key", Where(path, n, key));
    }
    errors.Add(s);
  }
}

void ReadCpu(const std::string& path, const toml::table& t, CpuConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "cpu." + std::string(k.str());
    Status s;
    if (k == "capacity_millicores") s = ReadInt(path, n, key, 0, 100'000'000, c.capacity_millicores);
    else if (k == "enforcer") s = ReadString(path, n, key, c.enforcer);
    else if (k == "cgroup_parent") s = ReadString(path, n, key, c.cgroup_parent);
    else if (k == "sample_every_ms") s = ReadInt(path, n, key, 100, 60000, c.sample_every_ms);
    else if (k == "full_scan_every") s = ReadInt(path, n, key, 1, 100000, c.full_scan_every);
    else if (k == "plan_from") s = ReadString(path, n, key, c.plan_from);
    else if (k == "figures_at_nodes") s = ReadInt(path, n, key, 2, 1'000'000, c.figures_at_nodes);
    else s = MakeError("{} is not a known key", Where(path, n, key));
    errors.Add(s);
  }
}

void ReadControl(const std::string& path, const toml::table& t, ControlConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "control." + std::string(k.str());
    Status s;
    if (k == "listen") s = ReadEndpoint(path, n, key, c.listen);
    else if (k == "tokens_file") s = ReadString(path, n, key, c.tokens_file);
    else if (k == "admin_keys_file") s = ReadString(path, n, key, c.admin_keys_file);
    else s = MakeError("{} is not a known key", Where(path, n, key));
    errors.Add(s);
  }
}

void ReadHistory(const std::string& path, const toml::table& t, HistoryConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "history." + std::string(k.str());
    Status s;
    if (k == "enabled") {
      if (n.is_boolean()) c.enabled = *n.value<bool>();
      else s = MakeError("{} must be true or false", Where(path, n, key));
    } else if (k == "path") s = ReadString(path, n, key, c.path);
    else if (k == "archive_dir") s = ReadString(path, n, key, c.archive_dir);
    else if (k == "copies") s = ReadInt(path, n, key, 0, 8, c.copies);
    else if (k == "keep_raw_hours") s = ReadInt(path, n, key, 1, 24 * 366, c.keep_raw_hours);
    else if (k == "keep_minutes_days") s = ReadInt(path, n, key, 1, 3660, c.keep_minutes_days);
    else if (k == "keep_hours_days") s = ReadInt(path, n, key, 1, 36600, c.keep_hours_days);
    else if (k == "keep_events_days") s = ReadInt(path, n, key, 1, 36600, c.keep_events_days);
    else s = MakeError("{} is not a known key", Where(path, n, key));
    errors.Add(s);
  }
}

void ReadHttp(const std::string& path, const toml::table& t, HttpConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "http." + std::string(k.str());
    Status s;
    if (k == "listen") {
      s = ReadEndpoint(path, n, key, c.listen);
    } else if (k == "require_token") {
      if (n.is_boolean()) c.require_token = *n.value<bool>();
      else s = MakeError("{} must be true or false", Where(path, n, key));
    } else {
      s = MakeError("{} is not a known key (listen, require_token)", Where(path, n, key));
    }
    errors.Add(s);
  }
}

void ReadTriggers(const std::string& path, const toml::table& t, TriggersConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "triggers." + std::string(k.str());
    Status s;
    if (k == "scripts_dir") s = ReadString(path, n, key, c.scripts_dir);
    else if (k == "scripts_user") s = ReadString(path, n, key, c.scripts_user);
    else s = MakeError("{} is not a known key", Where(path, n, key));
    errors.Add(s);
  }
}

}  // namespace

Result<gossip::GossipConfig> GossipPreset(const std::string& name) {
  if (name == "lan") return gossip::GossipConfig::Lan();
  if (name == "local") return gossip::GossipConfig::LocalTest();
  return MakeError("preset '{}' is not one of: lan, local", name);
}

namespace {

void ReadSeeds(const std::string& path, const toml::node& n, std::vector<std::string>& seeds, ConfigErrors& errors) {
  const toml::array* a = n.as_array();
  if (a == nullptr) {
    errors.Add(fmt::format("{} must be an array of \"host:port\" or \"a.b.c.d:port\"", Where(path, n, "seeds")));
    return;
  }
  seeds.clear();
  for (auto&& item : *a) {
    std::string text;
    Status s = ReadString(path, item, "seeds", text);
    if (s.ok()) {
      if (auto seed = ParseSeed(text); !seed.ok()) s = MakeError("{}: {}", Where(path, item, "seeds"), seed.error().message);
    }
    if (s.ok()) seeds.push_back(text);
    errors.Add(s);
  }
}

void ReadTable(const std::string& path, const std::string& key, const toml::node& n, DaemonConfig& c,
               ConfigErrors& errors) {
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    errors.Add(fmt::format("{} must be a table", Where(path, n, key)));
  } else if (key == "gossip") {
    ReadGossip(path, *t, c.gossip, errors);
  } else if (key == "cpu") {
    ReadCpu(path, *t, c.cpu, errors);
  } else if (key == "control") {
    ReadControl(path, *t, c.control, errors);
  } else if (key == "triggers") {
    ReadTriggers(path, *t, c.triggers, errors);
  } else if (key == "http") {
    ReadHttp(path, *t, c.http, errors);
  } else if (key == "events") {
    ReadEvents(path, *t, c.events, errors);
  } else if (key == "pipe") {
    ReadPipeTables(path, *t, c.bandwidth, errors);
  } else if (key == "bandwidth") {
    ReadBandwidth(path, *t, c.bandwidth, errors);
  } else {
    ReadHistory(path, *t, c.history, errors);
  }
}

// The preset first, so that the file's own [gossip] keys override it.
void ReadPreset(const std::string& path, const toml::table& root, DaemonConfig& c, ConfigErrors& errors) {
  const toml::node* p = root.get("preset");
  if (p == nullptr) return;
  std::string name;
  if (auto s = ReadString(path, *p, "preset", name); !s.ok()) return errors.Add(s);
  auto g = GossipPreset(name);
  if (!g.ok()) return errors.Add(fmt::format("{}: {}", Where(path, *p, "preset"), g.error().message));
  c.preset = name;
  c.gossip = *g;
}

void ReadRoot(const std::string& path, const toml::table& root, DaemonConfig& c, ConfigErrors& errors) {
  static const std::set<std::string, std::less<>> kTables = {"gossip", "cpu",  "control",   "history",
                                                            "triggers", "pipe", "bandwidth", "http",
                                                            "events"};
  for (auto&& [k, n] : root) {
    const std::string key(k.str());
    Status s;
    if (key == "preset") continue;
    if (key == "node_name") s = ReadString(path, n, key, c.node_name);
    else if (key == "bind") s = ReadEndpoint(path, n, key, c.bind);
    else if (key == "advertise") s = ReadEndpoint(path, n, key, c.advertise);
    else if (key == "key_file") s = ReadString(path, n, key, c.key_file);
    else if (key == "state_dir") s = ReadString(path, n, key, c.state_dir);
    else if (key == "log_level") s = ReadString(path, n, key, c.log_level);
    else if (key == "log_format") s = ReadString(path, n, key, c.log_format);
    else if (key == "report_every_ms") s = ReadInt(path, n, key, 0, 3600000, c.report_every_ms);
    else if (key == "probe_every_ms") s = ReadInt(path, n, key, 0, 3600000, c.probe_every_ms);
    else if (key == "wall_clock_offset_ms") {
      constexpr int64_t kYearMs = 366LL * 24 * 3600 * 1000;
      s = ReadInt(path, n, key, -10 * kYearMs, 10 * kYearMs, c.wall_clock_offset_ms);
    }
    else if (key == "seeds") ReadSeeds(path, n, c.seeds, errors);
    else if (kTables.contains(key)) ReadTable(path, key, n, c, errors);
    else s = MakeError("{} is not a known key", Where(path, n, key));
    errors.Add(s);
  }
}

}  // namespace

Status LoadConfigFile(const std::string& path, bool required, bool keep_preset, DaemonConfig& c) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (required) return MakeError("config file {} does not exist", path);
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (!in.good() && !in.eof()) return MakeError("config file {}: cannot be read", path);
  return LoadConfigText(text, path, keep_preset, c);
}

Status LoadConfigText(std::string_view text, const std::string& path, bool keep_preset, DaemonConfig& c) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    // TOML's syntax is checked first and whole: the keys are read only
    // from a file that parses.
    return MakeError("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description());
  }
  ConfigErrors errors;
  if (!keep_preset) ReadPreset(path, root, c, errors);
  ReadRoot(path, root, c, errors);
  errors.SortByLine(path);
  return errors.ToStatus();
}

namespace {

void CheckNodeName(const std::string& name, ConfigErrors& errors) {
  if (name.size() > 64) return errors.Add(fmt::format("node_name '{}' is longer than 64 bytes", name));
  // The name goes into file names, log lines, cgroup and history keys.
  const bool plain = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!plain || name.front() == '.' || name.front() == '-') {
    errors.Add(fmt::format(
        "node_name {:?} may hold only letters, digits, '-', '_' and '.', and must not start with '.' or '-'", name));
  }
}

void CheckChoices(const DaemonConfig& c, ConfigErrors& errors) {
  static const char* kEnforcers[] = {"auto", "systemd", "cgroup-v2", "cgroup-v1", "nice", "off"};
  if (std::find(std::begin(kEnforcers), std::end(kEnforcers), c.cpu.enforcer) == std::end(kEnforcers)) {
    errors.Add(fmt::format("cpu.enforcer '{}' is not one of: auto, systemd, cgroup-v2, cgroup-v1, nice, off",
                           c.cpu.enforcer));
  }
  if (auto from = engine::ParsePlanFrom(c.cpu.plan_from); !from.ok()) {
    errors.Add(fmt::format("cpu.plan_from: {}", from.error().message));
  }
  const std::string& parent = c.cpu.cgroup_parent;
  if (parent.empty() || parent.front() == '/' || parent.find("..") != std::string::npos) {
    errors.Add(fmt::format("cpu.cgroup_parent '{}' must be a relative path without '..'", parent));
  }
  if (auto s = CheckLogSettings(c.log_level, c.log_format); !s.ok()) errors.Add(s);
  for (const auto& seed : c.seeds) {
    if (auto p = ParseSeed(seed); !p.ok()) errors.Add(fmt::format("seed '{}': {}", seed, p.error().message));
  }
}

}  // namespace

Status DaemonConfig::Finish() {
  ConfigErrors errors;
  if (node_name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) node_name = host;
    if (node_name.empty()) errors.Add(std::string("node_name is not set and the host name cannot be read"));
  }
  if (!node_name.empty()) CheckNodeName(node_name, errors);
  CheckChoices(*this, errors);
  CheckBandwidth(bandwidth, errors);
  if (!events.script.empty() && triggers.scripts_dir.empty()) {
    errors.Add(fmt::format("events.script {} needs triggers.scripts_dir (the directory it must be in)", events.script));
  }
  errors.Add(gossip.Validate());
  if (history.path.empty()) history.path = state_dir + "/history";
  if (history.archive_dir.empty()) history.archive_dir = state_dir + "/archive";
  return errors.ToStatus();
}

}  // namespace shoal::daemon
