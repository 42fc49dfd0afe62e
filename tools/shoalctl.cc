// shoalctl: the operator's command line. Pool commands (status, nodes,
// apps, app, policy, mode, history, report) ask any shoald over its control
// API; offline commands (allocate, plan, policy validate) work on
// documents and need no daemon. Each group registers its own subcommands
// (tools/ctl/cli.h).
#include <iostream>

#include <CLI/CLI.hpp>

#include "core/build_info.h"
#include "gossip/packet.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/suggest.h"

using namespace shoal::ctl;

int main(int argc, char** argv) {
  CLI::App app{"shoalctl: ask and steer a Shoal pool.\n\n"
               "Offline commands check the allocation arithmetic on a document of your own,\n"
               "without a running daemon.",
               "shoalctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", shoal::VersionText("shoalctl", shoal::gossip::kMinProtocolVersion,
                                                                          shoal::gossip::kProtocolVersion),
                       "print the version, the commit and build it comes from, and the protocol, and exit");
  Run run;
  auto pool = std::make_shared<PoolOptions>();
  CLI::App* policy = AddOfflineCommands(app, pool, run);
  AddPoolCommands(app, pool, run);
  AddPolicyCommands(*policy, pool, run);
  AddHistoryCommands(app, pool, run);
  AddEventCommands(app, pool, run);
  AddKeyringCommands(app, pool, run);
  AddWhatifCommands(app, pool, run);
  pool->AddGlobal(app);
  // Set after the subcommands: CLI11 copies a footer into subcommands made
  // later, and each subcommand's help shows its own examples instead.
  app.footer(
      "Examples:\n"
      "  shoalctl allocate shares.json            divide a capacity by priority levels\n"
      "  echo '{\"capacity\":10,\"consumers\":[{\"name\":\"a\",\"levels\":[4]}]}' | shoalctl allocate -\n"
      "  shoalctl plan view.json                  the CPU plan and pipe credits for a view\n"
      "  shoalctl plan view.json --explain web    why 'web' gets what it gets\n"
      "  shoalctl policy validate pool.xml        check a policy document before pushing it\n"
      "  shoalctl policy push pool.xml            run it on the whole pool (admin token)\n"
      "  shoalctl status                          the pool in brief, from the local shoald\n"
      "  shoalctl apps --node 10.0.0.5:7947       every application, asked of another node\n"
      "  shoalctl app web --json                  one application node by node, for scripts\n"
      "  shoalctl mode enforce                    from measuring to enforcing, pool-wide\n"
      "  shoalctl policy push --dry-run pool.xml  what a draft would change, pushing nothing\n"
      "  shoalctl policy versions                 which revision each node runs\n"
      "  shoalctl policy rollback r11             back to an earlier revision\n"
      "  shoalctl history app web --since 6h      what web used, wanted and got, pool-wide\n"
      "  shoalctl events --follow                 the pool's events as they happen\n"
      "  shoalctl keyring install new.key         rotate the pool key: then keyring use, remove\n"
      "  shoalctl history events --since 1d       failures, policy changes, unmet bookings\n"
      "  shoalctl report --from 2026-11-01 --to 2026-11-08   a week's utilization summary\n"
      "Pool commands need a token: --token, $SHOAL_TOKEN, or a readable tokens file\n"
      "(--token-file, default /etc/shoal/tokens; create with shoald --add-token admin).\n"
      "Exit status: 0 success, 1 the request failed, 2 bad command line, 3 status: the pool is unhealthy.\n"
      "$SHOAL_NODE names the node to ask when --node is not given. The pool options (--node, --token,\n"
      "-o...) may come before the subcommand or after it: shoalctl --node 10.0.0.5:7947 -o json apps.\n"
      "Each command's --help shows its own examples.\n"
      "Document formats: README.md, sections \"shoalctl allocate\" and \"shoalctl plan\".\n");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const std::string unknown = UnknownCommand(app); !unknown.empty()) {
      std::cerr << unknown << "\n";
      return kUsage;
    }
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  return run ? run() : kUsage;
}
