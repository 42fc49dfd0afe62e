// shoald: the Shoal daemon: joins the pool, measures this server's
// applications, plans the pool's CPU and pipes by policy and enforces this
// node's share; see --help.
//
// Exit status: 0 after a stop; 2 when the configuration or the command
// line is wrong (the unit's RestartPreventExitStatus: restarting cannot
// help); 1 when start-up failed otherwise (a busy port, a name that does
// not resolve yet), which a restart may mend.
#include <malloc.h>

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "core/file_limit.h"
#include "core/logging.h"
#include "daemon/addresses.h"
#include "daemon/config_check.h"
#include "daemon/daemon.h"
#include "daemon/flags.h"
#include "daemon/key_file.h"
#include "daemon/pipe_guard.h"
#include "daemon/secret_file.h"
#include "daemon/control/tokens.h"
#include "gossip/admin_auth.h"
#include "gossip/packet.h"

using namespace shoal;
using namespace shoal::daemon;

namespace {

constexpr int kStartFailed = 1;
constexpr int kBadConfig = 2;

// Every line of a (multi-line) error, each as "shoald: LINE".
int Fail(const Error& e, int status) {
  std::vector<std::string> lines;
  AddErrorLines(lines, Status(e));
  for (const auto& l : lines) std::cerr << "shoald: " << l << "\n";
  return status;
}

// --generate-key, --generate-token, --generate-admin-key; -1 when none.
int RunKeyTool(const Flags& f) {
  if (!f.generate_key.empty()) {
    if (auto s = WriteNewKeyFile(f.generate_key); !s.ok()) return Fail(s.error(), kStartFailed);
    std::cout << "wrote a new pool key to " << f.generate_key << "\n";
    return 0;
  }
  if (!f.generate_admin_key.empty()) {
    auto pub = gossip::WriteNewAdminKey(f.generate_admin_key);
    if (!pub.ok()) return Fail(pub.error(), kStartFailed);
    std::cerr << "wrote a new admin secret key to " << f.generate_admin_key
              << "; add this public key line to every node's admin keys file:\n";
    std::cout << *pub << "\n";
    return 0;
  }
  if (!f.generate_token.empty()) {
    auto line = NewTokenLine(f.generate_token);
    if (!line.ok()) return Fail(MakeError("--generate-token: {}", line.error().message), kBadConfig);
    std::cout << *line;
    return 0;
  }
  return -1;
}

int AddToken(const std::string& role, const DaemonConfig& config) {
  auto line = NewTokenLine(role);
  if (!line.ok()) return Fail(MakeError("--add-token: {}", line.error().message), kBadConfig);
  const std::string& path = config.control.tokens_file;
  if (auto s = AppendSecretLine(path, *line, "tokens file"); !s.ok()) return Fail(s.error(), kStartFailed);
  std::cout << "added a token of role " << role << " to " << path
            << " (shoalctl on this host reads it from there; a running shoald takes it on SIGHUP)\n";
  return 0;
}

int CheckConfig(const std::string& path, DaemonConfig& config) {
  ConfigCheck check = CheckConfigFiles(config);
  AddErrorLines(check.errors, ResolveAddresses(config));
  for (const auto& w : check.warnings) std::cerr << "shoald: warning: " << w << "\n";
  for (const auto& e : check.errors) std::cerr << "shoald: " << e << "\n";
  if (!check.errors.empty()) {
    std::cerr << "shoald: configuration " << path << ": " << check.errors.size() << " error(s)\n";
    return kBadConfig;
  }
  std::cout << "shoald: configuration " << path << " is valid: node " << config.node_name << " advertises "
            << config.advertise.ToString() << ", " << config.seed_addresses.size() << " seed(s)\n";
  return 0;
}

// Names that do not resolve yet are a warning while some seed does.
Status Resolve(DaemonConfig& config) {
  auto s = ResolveAddresses(config);
  if (s.ok()) return s;
  const bool usable = config.advertise.valid() && (config.seeds.empty() || !config.seed_addresses.empty());
  if (!usable) return s;
  spdlog::warn("{}", s.error().message);
  return Status::Ok();
}

int StartDaemon(const Flags& flags, DaemonConfig& config) {
  if (auto check = CheckConfigFiles(config); !check.errors.empty()) {
    for (const auto& e : check.errors) spdlog::critical("{}", e);
    return kBadConfig;
  }
  if (auto s = Resolve(config); !s.ok()) return Fail(s.error(), kStartFailed);
  // A socket per peer stream in and out: the soft limit systemd and shells
  // set (1,024) is for select(), which shoald does not use.
  if (auto limit = RaiseFileLimit(0); !limit.ok()) spdlog::warn("{}", limit.error().message);
  auto daemon = Daemon::Create(config);
  if (!daemon.ok()) return Fail(daemon.error(), kStartFailed);
  (*daemon)->SetReloadSource([flags]() -> Result<DaemonConfig> {
    auto fresh = LoadConfig(flags);
    if (!fresh.ok()) return fresh;
    if (auto s = Resolve(*fresh); !s.ok()) return s.error();
    return fresh;
  });
  return (*daemon)->Run();
}

}  // namespace

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
  // Large transient buffers (history copy slices and restores up to 1 MiB,
  // documents, RocksDB's arena blocks) always come from mmap and go back
  // whole when freed. Left to itself glibc raises this threshold each time
  // such a buffer is freed, after which they come from the heap and leave
  // it fragmented (the free heap grew all through an hour of chaos).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  // Fixing that threshold also fixes the heap's trim threshold at 128 KB:
  // every burst of work (a pool-wide history question parses 127 answers
  // of 5,760 buckets in turn) would give the top of the heap back after
  // each part and fault it in again for the next, page by page. Up to 8 MB
  // of free top stays between bursts; the minute's malloc_trim returns it.
  mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
  CLI::App app{
      "shoald: the Shoal daemon. Every server of a pool runs one; they gossip over UDP what\n"
      "each server has and what each application on it wants, notice failures, and share\n"
      "the pool's CPU and pipes by policy: each daemon plans the whole pool and enforces its\n"
      "own row with cgroups (v2, else v1, else nice) and HTB classes.\n\n"
      "Start a pool:\n"
      "  shoald --generate-key /etc/shoal/pool.key      # once; copy the file to every node\n"
      "  shoald --name web-1 --bind 10.0.0.1:7946\n"
      "  shoald --name web-2 --seed web-1               # advertises the address that routes to web-1\n"
      "  shoald --add-token admin                       # for shoalctl (control API)\n"
      "  shoald --check-config                          # every problem at once, then exit\n\n"
      "Settings come from the config file (see /etc/shoal/shoald.toml), then flags.\n"
      "Exit status: 2 for a wrong configuration or flag, 1 when start-up failed otherwise."};
  Flags flags;
  AddFlags(app, flags);
  app.set_version_flag("--version", VersionText("shoald", gossip::kMinProtocolVersion, gossip::kProtocolVersion),
                       "print the version, the commit and build it comes from, and the protocol, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is 0; every mistake in the flags is 2, as for the config file.
    return app.exit(e) == 0 ? 0 : kBadConfig;
  }
  flags.config_given = app.count("--config") > 0;
  flags.check_config_given = app.count("--check-config") > 0;
  if (int rc = RunKeyTool(flags); rc >= 0) return rc;

  auto config = LoadConfig(flags);
  if (!config.ok()) return Fail(config.error(), kBadConfig);
  if (!flags.add_token.empty()) return AddToken(flags.add_token, *config);
  if (flags.check_config_given) {
    return CheckConfig(ConfigPath(flags), *config);
  }
  if (auto s = SetupLogging(config->log_level, config->node_name, config->log_format); !s.ok()) {
    return Fail(s.error(), kBadConfig);
  }
  return StartDaemon(flags, *config);
}
