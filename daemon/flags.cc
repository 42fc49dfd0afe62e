#include "daemon/flags.h"

#include "daemon/toml_keys.h"

namespace shoal::daemon {
namespace {

void AddToolFlags(CLI::App& app, Flags& f) {
  app.add_option("--check-config", f.check_config,
                 "check the configuration (FILE, else --config's) and every file it names, print every error "
                 "(file:line), and exit: 0 when the daemon would start, 2 when not")
      ->expected(0, 1)
      ->option_text("[FILE]");
  app.add_option("--generate-key", f.generate_key, "write a new pool key to this file (mode 0600) and exit");
  app.add_option("--add-token", f.add_token,
                 "append a new control API token for ROLE (admin or read) to the tokens file (--tokens-file, "
                 "else the configuration's; created with mode 0600) and exit")
      ->option_text("ROLE");
  app.add_option("--generate-token", f.generate_token,
                 "print a new control API token line for ROLE (admin or read) and exit (--add-token writes it "
                 "where the daemon reads it)")
      ->option_text("ROLE");
  app.add_option("--generate-admin-key", f.generate_admin_key,
                 "write a new admin key pair's secret key to this file (mode 0600; keep it with the admins, for "
                 "shoalctl --admin-key), print its public key for every node's admin keys file, and exit");
}

void AddSettingFlags(CLI::App& app, Flags& f) {
  app.add_option("--admin-keys-file", f.admin_keys_file,
                 "public keys of the admins whose signed actions this node takes (default /etc/shoal/admin-keys)");
  app.add_option("--name", f.name, "this node's name, unique in the pool (default: host name)");
  app.add_option("--bind", f.bind, "UDP address to listen on, a.b.c.d:port (default 0.0.0.0:7946)");
  app.add_option("--advertise", f.advertise,
                 "address peers reach this node at (default: bind's address, else the one that routes to the "
                 "seeds)");
  app.add_option("--seed", f.seeds, "a peer to join through, host[:port] or a.b.c.d[:port] (repeatable)");
  app.add_option("--key-file", f.key_file, "pool key file (default /etc/shoal/pool.key)");
  app.add_option("--state-dir", f.state_dir, "state directory (default /var/lib/shoal)");
  app.add_option("--preset", f.preset, "gossip settings preset: lan (default) or local");
  app.add_option("--period-ms", f.period_ms, "gossip period, 5..1000 ms (lan: 20)")->check(CLI::Range(5, 1000));
  app.add_option("--fanout", f.fanout, "peers per packet, 1..16 (lan: 3)")->check(CLI::Range(1, 16));
  app.add_option("--report-every-ms", f.report_ms, "print the pool as this node sees it every N ms (0: never)")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--probe-every-ms", f.probe_ms,
                 "start a pool probe every N ms and log how long it took to reach every node")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--cpu-millicores", f.cpu_millicores,
                 "millicores this node offers the pool (default 0: every CPU of the server)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_option("--enforcer", f.enforcer, "auto (default), cgroup-v2, cgroup-v1, nice or off");
  app.add_option("--cgroup-parent", f.cgroup_parent, "Shoal's parent cgroup, relative (default shoal)");
  app.add_option("--control", f.control,
                 "control API address, a.b.c.d:port (default 127.0.0.1:7947; port 0: off)");
  app.add_option("--http", f.http, "HTTP listener for /metrics and /health, a.b.c.d:port (default: none)");
  app.add_option("--tokens-file", f.tokens_file, "control API tokens (default /etc/shoal/tokens)");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--log-format", f.log_format,
                 "auto (default: the journal under systemd, else text), text, json (one object per line, for log "
                 "shippers) or journal");
}

void ApplyEndpoint(const char* flag, const std::string& text, Endpoint& out, ConfigErrors& errors) {
  if (text.empty()) return;
  auto e = Endpoint::Parse(text, 7946);
  if (e.ok()) out = *e;
  else errors.Add(fmt::format("{}: {}", flag, e.error().message));
}

template <typename T>
void Override(const T& flag, T& value, bool given) {
  if (given) value = flag;
}

void ApplyFlags(const Flags& f, DaemonConfig& c, ConfigErrors& errors) {
  Override(f.name, c.node_name, !f.name.empty());
  ApplyEndpoint("--bind", f.bind, c.bind, errors);
  ApplyEndpoint("--advertise", f.advertise, c.advertise, errors);
  ApplyEndpoint("--control", f.control, c.control.listen, errors);
  ApplyEndpoint("--http", f.http, c.http.listen, errors);
  Override(f.seeds, c.seeds, !f.seeds.empty());
  Override(f.key_file, c.key_file, !f.key_file.empty());
  Override(f.state_dir, c.state_dir, !f.state_dir.empty());
  Override(f.log_level, c.log_level, !f.log_level.empty());
  Override(f.log_format, c.log_format, !f.log_format.empty());
  if (f.period_ms > 0) c.gossip.period = std::chrono::milliseconds(f.period_ms);
  if (f.fanout > 0) c.gossip.fanout = static_cast<size_t>(f.fanout);
  Override(f.report_ms, c.report_every_ms, f.report_ms >= 0);
  Override(f.probe_ms, c.probe_every_ms, f.probe_ms >= 0);
  Override(f.cpu_millicores, c.cpu.capacity_millicores, f.cpu_millicores >= 0);
  Override(f.enforcer, c.cpu.enforcer, !f.enforcer.empty());
  Override(f.cgroup_parent, c.cpu.cgroup_parent, !f.cgroup_parent.empty());
  Override(f.tokens_file, c.control.tokens_file, !f.tokens_file.empty());
  Override(f.admin_keys_file, c.control.admin_keys_file, !f.admin_keys_file.empty());
}

}  // namespace

const std::string& ConfigPath(const Flags& f) {
  if (!f.check_config.empty() && !f.check_config.front().empty()) return f.check_config.front();
  return f.config_path;
}

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--config", f.config_path, "TOML configuration file (default /etc/shoal/shoald.toml)");
  AddToolFlags(app, f);
  AddSettingFlags(app, f);
}

Result<DaemonConfig> LoadConfig(const Flags& f) {
  DaemonConfig c;
  if (!f.preset.empty()) {
    auto g = GossipPreset(f.preset);
    if (!g.ok()) return g.error();
    c.preset = f.preset;
    c.gossip = *g;
  }
  const std::string& path = ConfigPath(f);
  const bool named = f.config_given || &path != &f.config_path;
  ConfigErrors errors;
  errors.Add(LoadConfigFile(path, named, !f.preset.empty(), c));
  ApplyFlags(f, c, errors);
  errors.Add(c.Finish());
  if (auto s = errors.ToStatus(); !s.ok()) return s.error();
  return c;
}

}  // namespace shoal::daemon
