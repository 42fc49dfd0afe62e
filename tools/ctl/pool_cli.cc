// shoalctl's pool commands: status, nodes, apps, app, pipes, mode and policy
// push/show/versions, each one control API request to any shoald. See cli.h.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/chrono.h>

#include "core/clock.h"
#include "policy/parser.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/json_input.h"
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
int RunControl(const ControlTarget& target, daemon::control::Request request, bool json, const EditAnswer& edit) {
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
    case R::kNodes: std::cout << (json ? MessageJson(r.nodes()) : NodesText(r.nodes())); break;
    case R::kApps: std::cout << (json ? MessageJson(r.apps()) : AppsText(r.apps())); break;
    case R::kApp: std::cout << (json ? MessageJson(r.app()) : AppText(r.app())); break;
    case R::kPipes: std::cout << (json ? MessageJson(r.pipes()) : PipesText(r.pipes())); break;
    case R::kVersions: std::cout << (json ? MessageJson(r.versions()) : VersionsText(r.versions())); break;
    case R::kPolicy:
      if (json) {
        std::cout << MessageJson(r.policy());
      } else if (!r.policy().text().empty()) {
        std::cout << r.policy().version() << " (mode " << r.policy().mode() << ")\n" << r.policy().text();
        if (r.policy().text().back() != '\n') std::cout << "\n";
      } else {
        std::cout << r.policy().version() << "\n";
      }
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

// A request with one empty command, set by `set`.
BuildRequest Simple(void (*set)(daemon::control::Request&)) {
  return [set](int64_t) -> Result<daemon::control::Request> {
    daemon::control::Request r;
    set(r);
    return r;
  };
}

Result<daemon::control::Request> PushRequest(const std::string& file) {
  auto text = ReadInputFile(file);
  if (!text) return text.error();
  if (const size_t limit = policy::ParseOptions{}.max_bytes; text->size() > limit) {
    return MakeError("{} is {} bytes: a policy document is at most {} bytes; not sent", file, text->size(), limit);
  }
  daemon::control::Request r;
  r.mutable_policy_push()->set_text(std::move(*text));
  return r;
}

struct PoolCommandArgs {
  std::string app, mode, file;
  std::string state, name;  // nodes filters
};

}  // namespace

void AddPoolCommands(CLI::App& app, CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<PoolCommandArgs>();
  using R = daemon::control::Request;
  auto* status = app.add_subcommand(
      "status",
      "The pool in brief: nodes, capacity, bookings, use, mode, policy. Exits 3 when the pool is unhealthy (a\n"
      "node failed or suspect, a node not on the active policy, a booking that cannot be met), naming why on\n"
      "standard error: usable as a probe.\n"
      "Examples:\n"
      "  shoalctl status\n"
      "  shoalctl status --json | jq .nodes_failed\n"
      "  shoalctl status >/dev/null 2>&1 || page-someone");
  pool->Add(status, true);
  pool->AddWatch(status);
  Sends(status, pool, run, false, Simple([](R& r) { r.mutable_status(); }));
  auto* nodes = app.add_subcommand("nodes",
                                   "Every node: address, state, capacity, use, load, memory, enforcer, policy.\n"
                                   "Examples:\n"
                                   "  shoalctl nodes --status failed\n"
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
      "apps", "Every application in the pool: its policy, entitlement, booking, demand, use and allocation.");
  pool->Add(apps, true);
  pool->AddWatch(apps);
  Sends(apps, pool, run, false, Simple([](R& r) { r.mutable_apps(); }));
  auto* app_cmd = app.add_subcommand(
      "app", "One application's instances, node by node: demand, use, booking, allocation, cgroup weight and quota.");
  app_cmd->add_option("NAME", a->app, "the application")->required();
  pool->Add(app_cmd, true);
  Sends(app_cmd, pool, run, false, [a](int64_t) -> Result<R> {
    R r;
    r.mutable_app()->set_name(a->app);
    return r;
  });
  auto* pipes = app.add_subcommand(
      "pipes",
      "Every pipe of the policy, each direction: capacity, use, and per application its booking,\n"
      "demand, use and allocation, and per node that carries it.");
  pool->Add(pipes, true);
  Sends(pipes, pool, run, false, Simple([](R& r) { r.mutable_pipes(); }));
  auto* mode = app.add_subcommand(
      "mode",
      "Switch the whole pool between monitor (measure, plan, change nothing) and enforce (apply\n"
      "the plan with cgroups). Pushes the active policy again with the new mode; needs an admin token.");
  mode->add_option("MODE", a->mode, "monitor or enforce")->required()->check(CLI::IsMember({"monitor", "enforce"}));
  pool->AddAdminKey(mode);
  pool->Add(mode, true);
  Sends(mode, pool, run, true, [a](int64_t) -> Result<R> {
    R r;
    r.mutable_mode()->set_enforce(a->mode == "enforce");
    return r;
  });
  auto* push = policy.add_subcommand(
      "push",
      "Send a policy document to a node: it validates it (any error refuses the whole document),\n"
      "stamps a version and activates it; every node runs it within about a second. Needs an\n"
      "admin token.");
  push->add_option("FILE", a->file, "XML document, or - for standard input")->required();
  pool->AddAdminKey(push);
  pool->Add(push, false);
  Sends(push, pool, run, true, [a](int64_t) { return PushRequest(a->file); });
  auto* show = policy.add_subcommand("show", "Print the version and document a node runs.");
  pool->Add(show, true);
  Sends(show, pool, run, false, Simple([](R& r) { r.mutable_policy_show(); }));
  auto* versions = policy.add_subcommand("versions", "Which policy version each node of the pool runs.");
  pool->Add(versions, true);
  Sends(versions, pool, run, false, Simple([](R& r) { r.mutable_policy_versions(); }));
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
        return RunControl(*target, std::move(*request), pool->json(), edit);
      };
      return pool->watch_s() > 0 ? Watch(pool->watch_s(), once) : once();
    };
  });
}

}  // namespace shoal::ctl
