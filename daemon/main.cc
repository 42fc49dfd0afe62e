// shoald: the Shoal daemon: joins the pool, measures this server's
// applications, plans the pool's CPU by policy and enforces this node's
// share; see --help.
#include <malloc.h>

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "core/build_info.h"
#include "core/logging.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/key_file.h"
#include "daemon/pipe_guard.h"
#include "daemon/control/tokens.h"
#include "gossip/admin_auth.h"
#include "gossip/packet.h"

using namespace shoal;
using namespace shoal::daemon;

int main(int argc, char** argv) {
  // The pipe guard (daemon/pipe_guard.h), started by shoald itself. A
  // terminal's ^C or a stop reaches the daemon, which dismisses it.
  if (argc == 2 && std::string_view(argv[1]) == "--pipe-guard") {
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGHUP, SIG_IGN);
    return RunPipeGuard(std::cin);
  }
  // RocksDB's background threads would each get a malloc arena of their own
  // that keeps freed memory; two arenas keep the daemon small.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{
      "shoald: the Shoal daemon. Every server of a pool runs one; they gossip over UDP what\n"
      "each server has and what each application on it wants, notice failures, and share\n"
      "the pool's CPU by policy: each daemon plans the whole pool and enforces its own row\n"
      "with cgroups (v2, else v1, else nice).\n\n"
      "Start a pool:\n"
      "  shoald --generate-key /etc/shoal/pool.key      # once; copy the file to every node\n"
      "  shoald --name web-1 --bind 10.0.0.1:7946\n"
      "  shoald --name web-2 --bind 10.0.0.2:7946 --seed 10.0.0.1:7946\n"
      "  shoald --generate-token admin >> /etc/shoal/tokens   # for shoalctl (control API)\n\n"
      "Settings come from the config file (see daemon/shoald.toml.example), then flags."};
  std::string config_path = "/etc/shoal/shoald.toml";
  std::string generate_key, generate_token, generate_admin_key, admin_keys_file;
  std::string name, bind, advertise, key_file, state_dir, log_level, preset;
  std::vector<std::string> seeds;
  int period_ms = 0, fanout = 0, report_ms = -1, probe_ms = -1;
  int64_t cpu_millicores = -1;
  std::string enforcer, cgroup_parent, control, tokens_file;
  auto* config_opt = app.add_option("--config", config_path, "TOML configuration file");
  app.add_option("--generate-key", generate_key,
                 "write a new pool key to this file (mode 0600) and exit");
  app.add_option("--generate-token", generate_token,
                 "print a new control API token line for ROLE (admin or read) and exit; append it to the "
                 "tokens file")
      ->option_text("ROLE");
  app.add_option("--generate-admin-key", generate_admin_key,
                 "write a new admin key pair's secret key to this file (mode 0600; keep it with the admins, for "
                 "shoalctl --admin-key), print its public key for every node's admin keys file, and exit");
  app.add_option("--admin-keys-file", admin_keys_file,
                 "public keys of the admins whose signed actions this node takes (default /etc/shoal/admin-keys)");
  app.add_option("--name", name, "this node's name, unique in the pool (default: host name)");
  app.add_option("--bind", bind, "UDP address to listen on, a.b.c.d:port (default 0.0.0.0:7946)");
  app.add_option("--advertise", advertise, "address peers reach this node at (default: bind)");
  app.add_option("--seed", seeds, "a peer to join through, a.b.c.d:port (repeatable)");
  app.add_option("--key-file", key_file, "pool key file (default /etc/shoal/pool.key)");
  app.add_option("--state-dir", state_dir, "state directory (default /var/lib/shoal)");
  app.add_option("--preset", preset, "gossip settings preset: lan (default) or local");
  app.add_option("--period-ms", period_ms, "gossip period, 5..1000 ms (lan: 20)")->check(CLI::Range(5, 1000));
  app.add_option("--fanout", fanout, "peers per packet, 1..16 (lan: 3)")->check(CLI::Range(1, 16));
  app.add_option("--report-every-ms", report_ms,
                 "print the pool as this node sees it every N ms (0: never)")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--probe-every-ms", probe_ms,
                 "start a pool probe every N ms and log how long it took to reach every node")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--cpu-millicores", cpu_millicores,
                 "millicores this node offers the pool (default 0: every CPU of the server)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_option("--enforcer", enforcer, "auto (default), cgroup-v2, cgroup-v1, nice or off");
  app.add_option("--cgroup-parent", cgroup_parent, "Shoal's parent cgroup, relative (default shoal)");
  app.add_option("--control", control, "control API address, a.b.c.d:port (default 127.0.0.1:7947; port 0: off)");
  app.add_option("--tokens-file", tokens_file, "control API tokens (default /etc/shoal/tokens)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  app.set_version_flag("--version", VersionText("shoald", gossip::kProtocolVersion),
                       "print the version, the commit and build it comes from, and the protocol, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is 0; every mistake in the flags is 2, as for the config file.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (!generate_key.empty()) {
    if (auto s = WriteNewKeyFile(generate_key); !s.ok()) {
      std::cerr << "shoald: " << s.error().message << "\n";
      return 1;
    }
    std::cout << "wrote a new pool key to " << generate_key << "\n";
    return 0;
  }

  if (!generate_admin_key.empty()) {
    auto pub = gossip::WriteNewAdminKey(generate_admin_key);
    if (!pub.ok()) {
      std::cerr << "shoald: " << pub.error().message << "\n";
      return 1;
    }
    std::cerr << "wrote a new admin secret key to " << generate_admin_key
              << "; add this public key line to every node's admin keys file:\n";
    std::cout << *pub << "\n";
    return 0;
  }

  if (!generate_token.empty()) {
    auto line = NewTokenLine(generate_token);
    if (!line.ok()) {
      std::cerr << "shoald: --generate-token: " << line.error().message << "\n";
      return 2;
    }
    std::cout << *line;
    return 0;
  }

  DaemonConfig config;
  auto fail = [](const Error& e) {
    std::cerr << "shoald: " << e.message << "\n";
    return 2;
  };
  if (!preset.empty()) {
    auto g = GossipPreset(preset);
    if (!g.ok()) return fail(g.error());
    config.preset = preset;
    config.gossip = *g;
  }
  if (auto s = LoadConfigFile(config_path, config_opt->count() > 0, !preset.empty(), config);
      !s.ok()) {
    return fail(s.error());
  }
  auto endpoint = [&](const std::string& flag, const std::string& text, Endpoint& out) {
    auto e = Endpoint::Parse(text, 7946);
    if (!e.ok()) return Status(MakeError("{}: {}", flag, e.error().message));
    out = *e;
    return Status::Ok();
  };
  if (!name.empty()) config.node_name = name;
  if (!bind.empty()) {
    if (auto s = endpoint("--bind", bind, config.bind); !s.ok()) return fail(s.error());
  }
  if (!advertise.empty()) {
    if (auto s = endpoint("--advertise", advertise, config.advertise); !s.ok()) {
      return fail(s.error());
    }
  }
  if (!seeds.empty()) {
    config.seeds.clear();
    for (const auto& text : seeds) {
      Endpoint e;
      if (auto s = endpoint("--seed", text, e); !s.ok()) return fail(s.error());
      config.seeds.push_back(e);
    }
  }
  if (!key_file.empty()) config.key_file = key_file;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!log_level.empty()) config.log_level = log_level;
  if (period_ms > 0) config.gossip.period = std::chrono::milliseconds(period_ms);
  if (fanout > 0) config.gossip.fanout = static_cast<size_t>(fanout);
  if (report_ms >= 0) config.report_every_ms = report_ms;
  if (probe_ms >= 0) config.probe_every_ms = probe_ms;
  if (cpu_millicores >= 0) config.cpu.capacity_millicores = cpu_millicores;
  if (!enforcer.empty()) config.cpu.enforcer = enforcer;
  if (!cgroup_parent.empty()) config.cpu.cgroup_parent = cgroup_parent;
  if (!control.empty()) {
    if (auto s = endpoint("--control", control, config.control.listen); !s.ok()) return fail(s.error());
  }
  if (!tokens_file.empty()) config.control.tokens_file = tokens_file;
  if (!admin_keys_file.empty()) config.control.admin_keys_file = admin_keys_file;
  if (auto s = config.Finish(); !s.ok()) return fail(s.error());
  if (auto s = SetupLogging(config.log_level, config.node_name); !s.ok()) return fail(s.error());

  auto daemon = Daemon::Create(config);
  if (!daemon.ok()) return fail(daemon.error());
  return (*daemon)->Run();
}
