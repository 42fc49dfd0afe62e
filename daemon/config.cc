#include "daemon/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <toml++/toml.h>

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

Status ReadGossip(const std::string& path, const toml::table& t, gossip::GossipConfig& g) {
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
      return MakeError("{} is not a known key", Where(path, n, key));
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadCpu(const std::string& path, const toml::table& t, CpuConfig& c) {
  for (auto&& [k, n] : t) {
    const std::string key = "cpu." + std::string(k.str());
    Status s;
    if (k == "capacity_millicores") s = ReadInt(path, n, key, 0, 100'000'000, c.capacity_millicores);
    else if (k == "enforcer") s = ReadString(path, n, key, c.enforcer);
    else if (k == "cgroup_parent") s = ReadString(path, n, key, c.cgroup_parent);
    else if (k == "sample_every_ms") s = ReadInt(path, n, key, 100, 60000, c.sample_every_ms);
    else if (k == "full_scan_every") s = ReadInt(path, n, key, 1, 100000, c.full_scan_every);
    else return MakeError("{} is not a known key", Where(path, n, key));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadControl(const std::string& path, const toml::table& t, ControlConfig& c) {
  for (auto&& [k, n] : t) {
    const std::string key = "control." + std::string(k.str());
    Status s;
    if (k == "listen") s = ReadEndpoint(path, n, key, c.listen);
    else if (k == "tokens_file") s = ReadString(path, n, key, c.tokens_file);
    else if (k == "admin_keys_file") s = ReadString(path, n, key, c.admin_keys_file);
    else return MakeError("{} is not a known key", Where(path, n, key));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadHistory(const std::string& path, const toml::table& t, HistoryConfig& c) {
  for (auto&& [k, n] : t) {
    const std::string key = "history." + std::string(k.str());
    Status s;
    if (k == "enabled") {
      if (!n.is_boolean()) return MakeError("{} must be true or false", Where(path, n, key));
      c.enabled = *n.value<bool>();
    } else if (k == "path") s = ReadString(path, n, key, c.path);
    else if (k == "archive_dir") s = ReadString(path, n, key, c.archive_dir);
    else if (k == "copies") s = ReadInt(path, n, key, 0, 8, c.copies);
    else if (k == "keep_raw_hours") s = ReadInt(path, n, key, 1, 24 * 366, c.keep_raw_hours);
    else if (k == "keep_minutes_days") s = ReadInt(path, n, key, 1, 3660, c.keep_minutes_days);
    else if (k == "keep_hours_days") s = ReadInt(path, n, key, 1, 36600, c.keep_hours_days);
    else if (k == "keep_events_days") s = ReadInt(path, n, key, 1, 36600, c.keep_events_days);
    else return MakeError("{} is not a known key", Where(path, n, key));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadTriggers(const std::string& path, const toml::table& t, TriggersConfig& c) {
  for (auto&& [k, n] : t) {
    const std::string key = "triggers." + std::string(k.str());
    Status s;
    if (k == "scripts_dir") s = ReadString(path, n, key, c.scripts_dir);
    else if (k == "scripts_user") s = ReadString(path, n, key, c.scripts_user);
    else return MakeError("{} is not a known key", Where(path, n, key));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<gossip::GossipConfig> GossipPreset(const std::string& name) {
  if (name == "lan") return gossip::GossipConfig::Lan();
  if (name == "local") return gossip::GossipConfig::LocalTest();
  return MakeError("preset '{}' is not one of: lan, local", name);
}

Status LoadConfigFile(const std::string& path, bool required, bool keep_preset,
                      DaemonConfig& c) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (required) return MakeError("config file {} does not exist", path);
    return Status::Ok();
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return MakeError("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                     e.description());
  }
  // The preset first, so the file's own gossip keys override it.
  if (auto* p = root.get("preset"); p != nullptr && !keep_preset) {
    if (auto s = ReadString(path, *p, "preset", c.preset); !s.ok()) return s;
    auto g = GossipPreset(c.preset);
    if (!g.ok()) return MakeError("{}: {}", Where(path, *p, "preset"), g.error().message);
    c.gossip = *g;
  }
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
    else if (key == "report_every_ms") s = ReadInt(path, n, key, 0, 3600000, c.report_every_ms);
    else if (key == "probe_every_ms") s = ReadInt(path, n, key, 0, 3600000, c.probe_every_ms);
    else if (key == "seeds") {
      const toml::array* a = n.as_array();
      if (a == nullptr) return MakeError("{} must be an array of \"a.b.c.d:port\"", Where(path, n, key));
      c.seeds.clear();
      for (auto&& item : *a) {
        Endpoint e;
        if (s = ReadEndpoint(path, item, key, e); !s.ok()) return s;
        c.seeds.push_back(e);
      }
    } else if (key == "gossip") {
      const toml::table* t = n.as_table();
      if (t == nullptr) return MakeError("{} must be a table", Where(path, n, key));
      s = ReadGossip(path, *t, c.gossip);
    } else if (key == "cpu" || key == "control" || key == "history" || key == "triggers" || key == "pipe" ||
               key == "bandwidth") {
      const toml::table* t = n.as_table();
      if (t == nullptr) return MakeError("{} must be a table", Where(path, n, key));
      s = key == "cpu"         ? ReadCpu(path, *t, c.cpu)
          : key == "control"   ? ReadControl(path, *t, c.control)
          : key == "triggers"  ? ReadTriggers(path, *t, c.triggers)
          : key == "pipe"      ? ReadPipeTables(path, *t, c.bandwidth)
          : key == "bandwidth" ? ReadBandwidth(path, *t, c.bandwidth)
                               : ReadHistory(path, *t, c.history);
    } else {
      return MakeError("{} is not a known key", Where(path, n, key));
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status DaemonConfig::Finish() {
  if (node_name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
      return MakeError("node_name is not set and the host name cannot be read");
    }
    node_name = host;
  }
  if (node_name.size() > 64) return MakeError("node_name '{}' is longer than 64 bytes", node_name);
  // The name goes into file names, log lines, cgroup and history keys.
  const bool plain = std::all_of(node_name.begin(), node_name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!plain || node_name.front() == '.' || node_name.front() == '-') {
    return MakeError("node_name {:?} may hold only letters, digits, '-', '_' and '.', and must not start with '.' or '-'",
                     node_name);
  }
  if (!advertise.valid()) {
    if (bind.ip == 0) {
      return MakeError(
          "advertise is not set and bind {} names no address: set advertise to the address "
          "peers reach this node at",
          bind.ToString());
    }
    advertise = bind;
  }
  static const char* kEnforcers[] = {"auto", "cgroup-v2", "cgroup-v1", "nice", "off"};
  if (std::find(std::begin(kEnforcers), std::end(kEnforcers), cpu.enforcer) == std::end(kEnforcers)) {
    return MakeError("cpu.enforcer '{}' is not one of: auto, cgroup-v2, cgroup-v1, nice, off", cpu.enforcer);
  }
  if (cpu.cgroup_parent.empty() || cpu.cgroup_parent.front() == '/' ||
      cpu.cgroup_parent.find("..") != std::string::npos) {
    return MakeError("cpu.cgroup_parent '{}' must be a relative path without '..'", cpu.cgroup_parent);
  }
  if (auto s = CheckBandwidth(bandwidth); !s.ok()) return s;
  if (history.path.empty()) history.path = state_dir + "/history";
  if (history.archive_dir.empty()) history.archive_dir = state_dir + "/archive";
  return gossip.Validate();
}

}  // namespace shoal::daemon
