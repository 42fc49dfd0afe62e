// shoalctl's command line, one registrar per command group: each adds its
// subcommands to the CLI11 app and, when one of them is parsed, sets what
// runs (`Run`). shoalctl.cc's main only assembles them.
//   offline_cli.cc   allocate, plan, policy validate (no daemon)
//   pool_cli.cc      status, nodes, apps, app, pipes, mode
//   policy_cli.cc    policy push [--dry-run]/show/versions/history/diff/rollback
//   events_cli.cc    events [--follow]
//   keyring_cli.cc   keyring list/install/use/remove
//   history_cli.cc   history app/node/pool/events/delete/export/archive/mount/unmount, report
//   whatif_cli.cc    whatif, suggest (planning from history)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "control.pb.h"
#include "core/result.h"
#include "policy/model.h"
#include "tools/ctl/control_client.h"

namespace shoal::ctl {

// Exit codes: 0 success, 1 the request failed (bad input, unknown name),
// 2 the command line itself is wrong, 3 `status` answered and the pool is
// unhealthy (for scripts and probes).
inline constexpr int kFailed = 1;
inline constexpr int kUsage = 2;
inline constexpr int kUnhealthy = 3;

// Prints "shoalctl: MESSAGE" on standard error; returns kFailed.
int Fail(const std::string& message);

// A policy document from a file ("-": standard input), checked as a push
// would be (without the live pool); each error is printed on standard error
// with its line, and the result says how many there were.
Result<policy::PolicyDocument> ReadPolicyDocument(const std::string& path);

// Sets the examples a command's own --help shows after its options.
inline void Examples(CLI::App* command, const std::string& lines) { command->footer("Examples:\n" + lines); }

// What runs once the command line is parsed.
using Run = std::function<int()>;

// The options every pool command shares, bound on each subcommand and on
// shoalctl itself (so they may come before the subcommand too): the node
// to ask, the token, the timeout, the output and the admin key.
class PoolOptions {
 public:
  PoolOptions();  // defaults from $SHOAL_NODE, $SHOAL_TOKEN_FILE and $SHOAL_ADMIN_KEY
  // `with_output`: -o/--output and --json (commands that print an answer).
  void Add(CLI::App* command, bool with_output);
  // -o/--output and --json alone (the offline commands).
  void AddOutput(CLI::App* command);
  // The same options on shoalctl itself, before any subcommand.
  void AddGlobal(CLI::App& app);
  void AddAdminKey(CLI::App* command);
  // --watch and --interval: ask again every few seconds, the screen redrawn.
  void AddWatch(CLI::App* command);

  // After parsing: the daemon to ask (sealed unless on loopback).
  Result<ControlTarget> Target() const;
  // Signs `request` if it is an admin command (tools/ctl/admin_sign.h).
  Status Sign(daemon::control::Request& request, const ControlTarget& target, int64_t now_ms) const;
  // -o: table (the default), wide (every column) or json (also --json).
  bool json() const { return output_ == "json"; }
  bool wide() const { return output_ == "wide"; }
  // With --watch, the seconds between answers; 0: ask once.
  int watch_s() const { return watch_ ? interval_s_ : 0; }
  // The timeout was left at its default.
  bool default_timeout() const { return timeout_ms_ == kDefaultTimeoutMs; }

 private:
  static constexpr int kDefaultTimeoutMs = 5000;
  std::string node_text_ = "127.0.0.1:7947";
  ControlTarget target_;
  int timeout_ms_ = kDefaultTimeoutMs;
  std::string output_ = "table";
  bool no_headers_ = false;
  bool watch_ = false;
  int interval_s_ = 2;
  std::string admin_key_ = "/etc/shoal/admin.key";
  bool admin_key_named_ = false;  // by the environment
  std::vector<CLI::Option*> admin_key_options_;
};

// Makes a command's request from the time now, once the command line is
// parsed; an error is the operator's (a file that cannot be read).
using BuildRequest = std::function<Result<daemon::control::Request>(int64_t now_ms)>;
// A request with one command that takes no arguments, set by `set`.
BuildRequest Simple(void (*set)(daemon::control::Request&));
// Changes the answer before it is printed (a filter); an error fails the command.
using EditAnswer = std::function<Status(daemon::control::Response&)>;
// Sends one request to the node of `pool` (with an admin token when
// `admin`, signed if it is an admin action) and returns the answer.
Result<daemon::control::Response> Ask(const PoolOptions& pool, daemon::control::Request request, bool admin);

// The active policy document (revision 0) or a kept revision, as the node asked has it.
Result<daemon::control::PolicyInfo> ShowPolicy(const PoolOptions& pool, uint32_t revision);

// A history question to the node of `target` (a progress bar on a terminal
// when it takes a while).
Result<daemon::control::HistoryAnswer> AskHistory(const ControlTarget& target, daemon::control::HistoryQuery q);

// Registers `command` to send what `build` makes (with an admin token when
// `admin`), signed if it is an admin action; the answer, after `edit`, is
// printed as text or JSON.
void Sends(CLI::App* command, std::shared_ptr<PoolOptions> pool, Run& run, bool admin, BuildRequest build,
           EditAnswer edit = nullptr);

// The registrars; `run` must outlive the parse.
// Returns the "policy" group; of `pool` only the output is used.
CLI::App* AddOfflineCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);
void AddPoolCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);
void AddPolicyCommands(CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run);
void AddHistoryCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);
void AddEventCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);
void AddKeyringCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);
void AddWhatifCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run);

}  // namespace shoal::ctl
