// shoalctl's pool commands: status, nodes, apps, app, pipes and mode, each
// one control API request to any shoald, and how every answer is printed.
// See cli.h.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/chrono.h>

#include "core/clock.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/message_json.h"
#include "tools/ctl/policy_text.h"
#include "tools/ctl/pool_cmd.h"

namespace shoal::ctl {
namespace {

// `status`: kUnhealthy with the reasons on standard error, else 0.
int StatusExit(const daemon::control::PoolStatus& s) {
  const auto why = Unhealthy(s);
  for (const auto& w : why) std::cerr << "shoalctl: unhealthy: " << w << "\n";
  return why.empty() ? 0 : kUnhealthy;
}

// One control API request; prints the answer (after `edit`) as text or JSON.
int RunControl(const ControlTarget& target, daemon::control::Request request, const PoolOptions& pool,
               const EditAnswer& edit) {
  const bool json = pool.json(), wide = pool.wide();
  auto reply = CallControl(target, std::move(request));
  if (!reply.ok()) return Fail(reply.error().message);
  if (edit) {
    if (auto s = edit(*reply); !s.ok()) return Fail(s.error().message);
  }
  const auto& r = *reply;
  using R = daemon::control::Response;
  switch (r.result_case()) {
    case R::kStatus:
      std::cout << (json ? MessageJson(r.status()) : StatusText(r.status())) << std::flush;
      return StatusExit(r.status());
    case R::kNodes: std::cout << (json ? MessageJson(r.nodes()) : NodesText(r.nodes(), wide)); break;
    case R::kApps: std::cout << (json ? MessageJson(r.apps()) : AppsText(r.apps(), wide)); break;
    case R::kApp: std::cout << (json ? MessageJson(r.app()) : AppText(r.app(), wide)); break;
    case R::kPipes: std::cout << (json ? MessageJson(r.pipes()) : PipesText(r.pipes())); break;
    case R::kVersions: std::cout << (json ? MessageJson(r.versions()) : VersionsText(r.versions())); break;
    case R::kPolicy: std::cout << (json ? MessageJson(r.policy()) : PolicyAnswerText(r.policy())); break;
    case R::kKeyring: {
      std::cout << (json ? MessageJson(r.keyring()) : KeyringText(r.keyring()));
      for (const auto& n : r.keyring().nodes()) {
        if (!n.error().empty()) return kFailed;  // not applied everywhere: say so to scripts
      }
      break;
    }
    case R::kExplain: std::cout << (json ? MessageJson(r.explain()) : ExplainText(r.explain())); break;
    case R::kPolicyHistory:
      std::cout << (json ? MessageJson(r.policy_history()) : PolicyHistoryText(r.policy_history()));
      break;
    case R::kDeleted:
      if (json) {
        std::cout << MessageJson(r.deleted());
      } else {
        std::cout << fmt::format("deleted {:.0f} row(s) on {} node(s)\n", r.deleted().rows(), r.deleted().nodes());
        for (const auto& f : r.deleted().failures()) std::cout << "warning: not deleted on " << f << "\n";
      }
      break;
    case R::kFiles:
      if (json) {
        std::cout << MessageJson(r.files());
      } else {
        for (const auto& f : r.files().files()) std::cout << f << "\n";
        for (const auto& f : r.files().failures()) std::cout << "warning: " << f << "\n";
        if (r.files().files_size() == 0 && r.files().failures_size() == 0) std::cout << "no archive mounted\n";
      }
      break;
    case R::kHistory:
    case R::kEvents:
    case R::kProgress:
    case R::RESULT_NOT_SET: return Fail("the daemon answered with nothing");
  }
  return 0;
}

struct PoolCommandArgs {
  std::string app, mode, on;
  std::string state, name;  // nodes filters
};

}  // namespace

void AddPoolCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<PoolCommandArgs>();
  using R = daemon::control::Request;
  auto* status = app.add_subcommand(
      "status",
      "The pool in brief: nodes, capacity, bookings, use, mode, policy. Exits 3 when the pool is unhealthy (a\n"
      "node failed or suspect, a node not on the active policy, a booking that cannot be met), naming why on\n"
      "standard error: usable as a probe.");
  Examples(status,
           "  shoalctl status\n"
           "  shoalctl status --watch                 redrawn every 2 s\n"
           "  shoalctl status --json | jq .nodes_failed\n"
           "  shoalctl status >/dev/null 2>&1 || page-someone");
  pool->Add(status, true);
  pool->AddWatch(status);
  Sends(status, pool, run, false, Simple([](R& r) { r.mutable_status(); }));
  auto* nodes = app.add_subcommand(
      "nodes", "Every node: address, state, capacity, use, applications, policy revision (-o wide: load, memory, "
               "enforcer, build, protocols, id).");
  Examples(nodes,
           "  shoalctl nodes --status failed\n"
           "  shoalctl nodes -o wide --no-headers | awk '{print $1, $9}'\n"
           "  shoalctl nodes --name '^web-[0-9]+$' --json");
  nodes->add_option("--status", a->state, "only nodes in this state")
      ->check(CLI::IsMember({"self", "alive", "suspect", "failed", "left"}));
  nodes->add_option("--name", a->name, "only nodes whose name matches this extended regular expression");
  pool->Add(nodes, true);
  pool->AddWatch(nodes);
  Sends(nodes, pool, run, false, Simple([](R& r) { r.mutable_nodes(); }), [a](daemon::control::Response& r) {
    auto kept = FilterNodes(r.nodes(), a->state, a->name);
    if (!kept.ok()) return Status(kept.error());
    *r.mutable_nodes() = std::move(*kept);
    return Status::Ok();
  });
  auto* apps = app.add_subcommand(
      "apps", "Every application in the pool: its policy, booking, demand, use and allocation (-o wide: what it "
              "asks, is entitled to and could not be placed).");
  Examples(apps,
           "  shoalctl apps\n"
           "  shoalctl apps --watch --interval 1\n"
           "  shoalctl apps -o json | jq '.apps[] | {name, allocated_m}'");
  pool->Add(apps, true);
  pool->AddWatch(apps);
  Sends(apps, pool, run, false, Simple([](R& r) { r.mutable_apps(); }));
  auto* app_cmd = app.add_subcommand(
      "app", "One application's instances, node by node: demand, use, booking, allocation, cgroup weight and quota "
             "(-o wide: processes, memory, cgroup).");
  Examples(app_cmd,
           "  shoalctl app web\n"
           "  shoalctl app web -o wide --node 10.0.0.5:7947");
  app_cmd->add_option("NAME", a->app, "the application")->required();
  pool->Add(app_cmd, true);
  Sends(app_cmd, pool, run, false, [a](int64_t) -> Result<R> {
    R r;
    r.mutable_app()->set_name(a->app);
    return r;
  });
  auto* explain = app.add_subcommand(
      "explain",
      "Why an application gets what it gets right now, from the asked node's own view: the policy in\n"
      "force (and whether a schedule window, a failure adjustment or a trigger put it there), the\n"
      "planner's steps as plan --explain prints them, and the figures planned from with their ages.");
  Examples(explain, "  shoalctl explain web\n  shoalctl explain web --on node-7 --node 10.0.0.5:7947");
  explain->add_option("APP", a->app, "the application")->required();
  explain->add_option("--on", a->on, "the row of this node (its name) in particular");
  pool->Add(explain, true);
  Sends(explain, pool, run, false, [a](int64_t) -> Result<R> {
    R r;
    r.mutable_explain()->set_app(a->app);
    r.mutable_explain()->set_node(a->on);
    return r;
  });
  auto* pipes = app.add_subcommand(
      "pipes",
      "Every pipe of the policy, each direction: capacity, use, and per application its booking,\n"
      "demand, use and allocation, and per node that carries it.");
  Examples(pipes, "  shoalctl pipes\n  shoalctl pipes --json | jq '.pipes[] | {pipe, direction, capacity}'");
  pool->Add(pipes, true);
  Sends(pipes, pool, run, false, Simple([](R& r) { r.mutable_pipes(); }));
  auto* mode = app.add_subcommand(
      "mode",
      "Switch the whole pool between monitor (measure, plan, change nothing) and enforce (apply\n"
      "the plan with cgroups). Pushes the active policy again with the new mode (a new revision);\n"
      "needs an admin token.");
  Examples(mode, "  shoalctl mode monitor\n  shoalctl mode enforce --admin-key ~/.shoal/admin.key");
  mode->add_option("MODE", a->mode, "monitor or enforce")->required()->check(CLI::IsMember({"monitor", "enforce"}));
  pool->AddAdminKey(mode);
  pool->Add(mode, true);
  Sends(mode, pool, run, true, [a](int64_t) -> Result<R> {
    R r;
    r.mutable_mode()->set_enforce(a->mode == "enforce");
    return r;
  });
}

namespace {

// --watch: the screen cleared (on a terminal) and the answer drawn again
// every `seconds`, with the time it was asked; until interrupted.
int Watch(int seconds, const std::function<int()>& once) {
  const bool tty = ::isatty(STDOUT_FILENO);
  for (;;) {
    if (tty) std::cout << "\033[H\033[2J";
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::cout << fmt::format("every {} s, {:%Y-%m-%d %H:%M:%S} UTC\n\n", seconds, fmt::gmtime(now));
    const int code = once();
    if (code != 0 && code != kUnhealthy) return code;
    std::cout << std::flush;
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  }
}

}  // namespace

void Sends(CLI::App* command, std::shared_ptr<PoolOptions> pool, Run& run, bool admin, BuildRequest build,
           EditAnswer edit) {
  command->callback([pool, &run, admin, build = std::move(build), edit = std::move(edit)] {
    run = [pool, admin, build, edit] {
      auto target = pool->Target();
      if (!target.ok()) return Fail(target.error().message);
      target->want_admin = admin;
      auto once = [&]() {
        const int64_t now_ms = WallClockMs();
        auto request = build(now_ms);
        if (!request.ok()) return Fail(request.error().message);
        if (auto s = pool->Sign(*request, *target, now_ms); !s.ok()) return Fail(s.error().message);
        return RunControl(*target, std::move(*request), *pool, edit);
      };
      return pool->watch_s() > 0 ? Watch(pool->watch_s(), once) : once();
    };
  });
}

}  // namespace shoal::ctl
