// shoalctl: the operator's command line. Pool commands (status, nodes,
// apps, app, policy, mode) ask any shoald over its control API; offline
// commands (allocate, plan, policy validate) work on documents and need no
// daemon.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "daemon/control/seal.h"
#include "policy/parser.h"
#include "policy/plan_explain.h"
#include "tools/ctl/admin_sign.h"
#include "tools/ctl/allocate_cmd.h"
#include "tools/ctl/control_client.h"
#include "tools/ctl/export_cmd.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/plan_cmd.h"
#include "tools/ctl/pool_cmd.h"

namespace {

using namespace shoal;
using namespace shoal::ctl;

// Exit codes: 0 success, 1 the request failed (bad input, unknown name),
// 2 the command line itself is wrong.
constexpr int kFailed = 1;
constexpr int kUsage = 2;

int Fail(const std::string& message) {
  std::cerr << "shoalctl: " << message << "\n";
  return kFailed;
}

// How a FILE argument is named in messages.
std::string SourceName(const std::string& path) { return path == "-" ? "standard input" : path; }

// Reads a JSON document and turns it into T with `read`; errors name the source.
template <typename T>
Result<T> LoadDocument(const std::string& path, Result<T> (*read)(const Json&)) {
  auto text = ReadInputFile(path);
  if (!text) return text.error();
  auto doc = ParseJsonText(*text, SourceName(path));
  if (!doc) return doc.error();
  auto value = read(*doc);
  if (!value) return MakeError("{}: {}", SourceName(path), value.error().message);
  return value;
}

int RunAllocateCommand(const std::string& path, bool json) {
  auto input = LoadDocument(path, &ReadAllocateInput);
  if (!input) return Fail(input.error().message);
  AllocateOutput out = RunAllocate(*input);
  std::cout << (json ? AllocateJson(out) : AllocateText(out));
  return 0;
}

int RunPlanCommand(const std::string& path, bool json, const std::string& explain) {
  auto input = LoadDocument(path, &ReadPlanDocument);
  if (!input) return Fail(input.error().message);
  PlanResult plan = RunPlan(*input);
  if (!explain.empty()) {
    auto text = policy::ExplainApp(plan.cpu, explain);
    if (!text) return Fail(text.error().message);
    std::cout << *text;
    return 0;
  }
  std::cout << (json ? PlanJson(plan) : PlanText(plan));
  return 0;
}

int RunPolicyValidate(const std::string& path) {
  auto text = ReadInputFile(path);
  if (!text) return Fail(text.error().message);
  const std::string source = SourceName(path);
  policy::ParsedPolicy parsed = policy::ParsePolicy(*text);
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << policy::FormatPolicyError(e, source) << "\n";
    std::cerr << fmt::format("shoalctl: {}: {} error(s); nothing would be applied\n", source, parsed.errors.size());
    return kFailed;
  }
  const auto& d = parsed.document;
  std::cout << fmt::format("{}: valid: mode {}, {} pipe(s), {} application(s), {} policy(ies), {} trigger(s)\n",
                           source, d.mode == policy::Mode::kEnforce ? "enforce" : "monitor", d.pipes.size(),
                           d.applications.size(), d.policies.size(), d.triggers.size());
  return 0;
}

// One control API request; prints the answer as text or JSON.
int RunControl(const ControlTarget& target, daemon::control::Request request, bool json) {
  auto reply = CallControl(target, std::move(request));
  if (!reply.ok()) return Fail(reply.error().message);
  const auto& r = *reply;
  using R = daemon::control::Response;
  switch (r.result_case()) {
    case R::kStatus: std::cout << (json ? MessageJson(r.status()) : StatusText(r.status())); break;
    case R::kNodes: std::cout << (json ? MessageJson(r.nodes()) : NodesText(r.nodes())); break;
    case R::kApps: std::cout << (json ? MessageJson(r.apps()) : AppsText(r.apps())); break;
    case R::kApp: std::cout << (json ? MessageJson(r.app()) : AppText(r.app())); break;
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
    case R::kProgress:
    case R::RESULT_NOT_SET: return Fail("the daemon answered with nothing");
  }
  return 0;
}

// A progress bar on a terminal once a request has taken two seconds.
ProgressFn ProgressBar() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  const auto start = std::chrono::steady_clock::now();
  return [start](uint32_t done, uint32_t total) {
    if (std::chrono::steady_clock::now() - start < std::chrono::seconds(2) || total == 0) return;
    const uint32_t width = 30, filled = std::min(width, done * width / total);
    std::cerr << fmt::format("\r[{}{}] {}/{} answers", std::string(filled, '#'), std::string(width - filled, ' '),
                             done, total)
              << std::flush;
  };
}

// history and report: one query each (report: two), answered by any node.
Result<daemon::control::HistoryAnswer> AskHistory(const ControlTarget& target, daemon::control::HistoryQuery q) {
  daemon::control::Request request;
  *request.mutable_history() = std::move(q);
  auto reply = CallControl(target, std::move(request), ProgressBar());
  if (isatty(STDERR_FILENO)) std::cerr << "\r\033[K" << std::flush;
  if (!reply.ok()) return reply.error();
  if (!reply->has_history()) return MakeError("the daemon answered with something else than history");
  return reply->history();
}

// history export: three questions (applications per node, nodes, events),
// then CSV files or a PostgreSQL database.
int RunExport(const ControlTarget& target, daemon::control::HistoryQuery q, const std::string& csv,
              const std::string& events_csv, const std::string& postgres) {
  auto ask = [&](const char* what, bool per_node) {
    auto one = q;
    one.set_what(what);
    one.set_per_node(per_node);
    return AskHistory(target, std::move(one));
  };
  auto apps = ask("app", true);
  if (!apps.ok()) return Fail(apps.error().message);
  q.set_step_ms(apps->step_ms());
  auto nodes = ask("node", true);
  if (!nodes.ok()) return Fail(nodes.error().message);
  auto events = ask("events", false);
  if (!events.ok()) return Fail(events.error().message);
  for (const auto* a : {&*apps, &*nodes, &*events}) {
    for (const auto& f : a->failures()) std::cerr << "shoalctl: warning: no answer from " << f << "\n";
  }
  auto write = [](const std::string& path, const std::string& text) -> bool {
    if (path == "-") {
      std::cout << text;
      return true;
    }
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
  };
  if (!csv.empty() && !write(csv, HistoryCsv(*apps, *nodes))) return Fail("cannot write " + csv);
  if (!events_csv.empty() && !write(events_csv, EventsCsv(*events))) return Fail("cannot write " + events_csv);
  if (!postgres.empty()) {
    auto loaded = LoadPostgres(postgres, *apps, *nodes, *events);
    if (!loaded.ok()) return Fail(loaded.error().message);
    std::cerr << fmt::format("loaded {} point(s) into shoal_history and {} event(s) into shoal_events\n",
                             loaded->points, loaded->events);
  }
  return 0;
}

int RunHistory(const ControlTarget& target, daemon::control::HistoryQuery q, bool json, bool report) {
  if (report) {
    auto pool = q;
    pool.set_what("pool");
    auto apps = q;
    apps.set_what("app");
    auto p = AskHistory(target, pool);
    if (!p.ok()) return Fail(p.error().message);
    apps.set_step_ms(p->step_ms());
    auto a = AskHistory(target, apps);
    if (!a.ok()) return Fail(a.error().message);
    if (json) {
      std::cout << "{\"pool\": " << MessageJson(*p) << ", \"applications\": " << MessageJson(*a) << "}\n";
    } else {
      std::cout << ReportText(*a, *p);
    }
    return 0;
  }
  const std::string what = q.what();
  auto a = AskHistory(target, std::move(q));
  if (!a.ok()) return Fail(a.error().message);
  std::cout << (json ? MessageJson(*a) : HistoryText(*a, what));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoalctl: ask and steer a Shoal pool.\n\n"
               "Offline commands check the allocation arithmetic on a document of your own,\n"
               "without a running daemon.",
               "shoalctl"};
  app.require_subcommand(1);
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
      "  shoalctl policy versions                 which version each node runs\n"
      "  shoalctl history app web --since 6h      what web used, wanted and got, pool-wide\n"
      "  shoalctl history events --since 1d       failures, policy changes, unmet bookings\n"
      "  shoalctl report --from 2026-11-01 --to 2026-11-08   a week's utilization summary\n"
      "Pool commands need a token: --token, $SHOAL_TOKEN, or a readable tokens file\n"
      "(--token-file, default /etc/shoal/tokens; create with shoald --generate-token admin).\n"
      "Exit status: 0 success, 1 the request failed, 2 bad command line.\n"
      "Document formats: README.md, sections \"shoalctl allocate\" and \"shoalctl plan\".\n");

  std::string allocate_file;
  bool allocate_json = false;
  auto* allocate = app.add_subcommand(
      "allocate",
      "Run the priority fair-share allocator on a JSON document: a capacity and consumers with\n"
      "cumulative amounts per priority level (level 1 first). Prints NAME AMOUNT per consumer\n"
      "in input order, then the reserve.");
  allocate->add_option("FILE", allocate_file, "JSON document, or - for standard input")->required();
  allocate->add_flag("--json", allocate_json,
                     "print {\"allocations\": {NAME: AMOUNT}, \"reserve\": AMOUNT} instead");

  std::string plan_file, explain;
  bool plan_json = false;
  auto* plan = app.add_subcommand(
      "plan",
      "Plan a pool from a JSON view (nodes, instances) and policies, as every daemon would:\n"
      "entitlements, bookings, per-node allocations with cgroup weight and quota, and each\n"
      "node's credit on every pipe. CPU amounts are millicores.");
  plan->add_option("FILE", plan_file, "JSON document, or - for standard input")->required();
  plan->add_flag("--json", plan_json, "print the whole plan as JSON");
  plan->add_option("--explain", explain, "explain step by step what application APP gets and why")
      ->option_text("APP");

  std::string policy_file;
  auto* policy = app.add_subcommand("policy", "Policy documents (XML; see examples/policies and policy/shoal-policy.xsd).");
  policy->require_subcommand(1);
  auto* validate = policy->add_subcommand(
      "validate",
      "Check a policy document without applying it: structure, values, references, overlapping\n"
      "rules and windows, bookings that cannot fit. Prints every error with line, column and element.");
  validate->add_option("FILE", policy_file, "XML document, or - for standard input")->required();

  // Commands to a running daemon, over its control API.
  std::string node_text = "127.0.0.1:7947";
  ControlTarget target;
  target.token_file = "/etc/shoal/tokens";
  if (const char* f = std::getenv("SHOAL_TOKEN_FILE"); f && *f) target.token_file = f;
  int timeout_ms = 5000;
  bool json = false;
  auto add_node_options = [&](CLI::App* c, bool with_json) {
    c->add_option("--node", node_text, "the shoald to ask, ADDRESS:PORT of its control API (any node answers for the pool)")
        ->capture_default_str();
    c->add_option("--token", target.token, "control API token (default: $SHOAL_TOKEN, else --token-file)");
    c->add_option("--token-file", target.token_file,
                  "file holding the token, or a tokens file (\"ROLE TOKEN\" lines; default $SHOAL_TOKEN_FILE)")
        ->capture_default_str();
    c->add_option("--timeout-ms", timeout_ms, "give up after this long")->capture_default_str();
    c->add_flag("--sealed", target.sealed,
                "seal the connection under the token (always done when --node is not a loopback address: the "
                "token never crosses the network)");
    if (with_json) c->add_flag("--json", json, "print the answer as JSON (the control API's field names)");
  };
  std::string admin_key = "/etc/shoal/admin.key";
  // Named by the user (a flag or the environment): it must be there.
  bool admin_key_named = false;
  if (const char* k = std::getenv("SHOAL_ADMIN_KEY"); k && *k) admin_key = k, admin_key_named = true;
  std::vector<CLI::Option*> admin_key_options;
  auto add_admin_key = [&](CLI::App* c) {
    admin_key_options.push_back(
        c->add_option("--admin-key", admin_key,
                      "the admin's secret key that signs this action for every node (default $SHOAL_ADMIN_KEY, "
                      "else /etc/shoal/admin.key if it exists; made by shoald --generate-admin-key)"));
  };
  auto* status = app.add_subcommand("status", "The pool in brief: nodes, capacity, bookings, use, mode, policy.");
  add_node_options(status, true);
  auto* nodes = app.add_subcommand("nodes", "Every node: address, state, capacity, use, load, memory, enforcer, policy.");
  add_node_options(nodes, true);
  auto* apps = app.add_subcommand(
      "apps", "Every application in the pool: its policy, entitlement, booking, demand, use and allocation.");
  add_node_options(apps, true);
  std::string app_name;
  auto* app_cmd = app.add_subcommand(
      "app", "One application's instances, node by node: demand, use, booking, allocation, cgroup weight and quota.");
  app_cmd->add_option("NAME", app_name, "the application")->required();
  add_node_options(app_cmd, true);
  std::string mode_name;
  auto* mode = app.add_subcommand(
      "mode",
      "Switch the whole pool between monitor (measure, plan, change nothing) and enforce (apply\n"
      "the plan with cgroups). Pushes the active policy again with the new mode; needs an admin token.");
  mode->add_option("MODE", mode_name, "monitor or enforce")->required()->check(CLI::IsMember({"monitor", "enforce"}));
  add_admin_key(mode);
  add_node_options(mode, true);
  std::string push_file;
  auto* push = policy->add_subcommand(
      "push",
      "Send a policy document to a node: it validates it (any error refuses the whole document),\n"
      "stamps a version and activates it; every node runs it within about a second. Needs an\n"
      "admin token.");
  push->add_option("FILE", push_file, "XML document, or - for standard input")->required();
  add_admin_key(push);
  add_node_options(push, false);
  auto* show = policy->add_subcommand("show", "Print the version and document a node runs.");
  add_node_options(show, true);
  auto* versions = policy->add_subcommand("versions", "Which policy version each node of the pool runs.");
  add_node_options(versions, true);

  // History: what happened over a period, asked of any node.
  std::string since, from_text, to_text, step_text, hist_name, hist_node, before_text, archive_file;
  bool per_node = false, from_archive = false;
  auto add_period_options = [&](CLI::App* c) {
    c->add_option("--since", since, "the period up to --to (default: 1h), e.g. 90s, 15m, 6h, 2d, 1w");
    c->add_option("--from", from_text, "start: UTC YYYY-MM-DD[THH:MM[:SS]], or a duration ago (6h)");
    c->add_option("--to", to_text, "end (default: now), same forms as --from");
    c->add_option("--step", step_text, "bucket size, e.g. 10s, 5m, 1h (default: chosen from the period, at most 400 buckets)");
    c->add_flag("--archive", from_archive, "answer from the archive files mounted on the nodes (see history mount)");
    add_node_options(c, true);
  };
  auto* history = app.add_subcommand(
      "history",
      "What happened over a period, across the pool: usage, demand, booking and allocation per\n"
      "application or node, and events. Any node answers, from the nodes holding the data (a dead\n"
      "node's history comes from its replicas). The resolution follows the period: raw samples,\n"
      "minute or hour roll-ups.");
  history->require_subcommand(1);
  auto* h_app = history->add_subcommand("app", "One application (or every one), summed over the pool.");
  h_app->add_option("NAME", hist_name, "the application (default: every one)");
  h_app->add_option("--on", hist_node, "only the instance on this node (its name)");
  h_app->add_flag("--per-node", per_node, "one series per node instead of the pool's sum");
  add_period_options(h_app);
  auto* h_node = history->add_subcommand("node", "A node's own figures: capacity, use, demand, bookings.");
  h_node->add_option("NAME", hist_name, "the node's name (default: every node)");
  add_period_options(h_node);
  auto* h_pool = history->add_subcommand("pool", "The whole pool: every node's figures summed.");
  add_period_options(h_pool);
  auto* h_events = history->add_subcommand(
      "events", "Events: nodes failing, joining and leaving, policies activated, bookings that cannot be met, deletions.");
  h_events->add_option("KIND", hist_name, "only this kind (failed, joined, left, policy, unmet, met, deleted)");
  h_events->add_option("--on", hist_node, "only this node's events (its name)");
  add_period_options(h_events);
  std::string del_app;
  auto* h_delete = history->add_subcommand(
      "delete",
      "Delete history on every live node (originals and replicas); logged and recorded as an event\n"
      "on each node. Needs an admin token. Nodes down at the time keep their rows.");
  h_delete->add_option("--app", del_app, "only this application's rows (default: every series)");
  h_delete->add_option("--on", hist_node, "only rows of this node (its name; default: every node)");
  h_delete->add_option("--before", before_text, "only rows older than this (UTC time or a duration ago); default: all")
      ->required();
  add_node_options(h_delete, true);
  add_admin_key(h_delete);
  std::string export_csv, export_events, export_pg;
  auto* h_export = history->add_subcommand(
      "export",
      "Write history over a period as CSV (every application on every node, and every node's own\n"
      "figures, one line per bucket; events to a second file), or load it into PostgreSQL (tables\n"
      "shoal_history and shoal_events, created if missing; a period exported again replaces its rows).");
  h_export->add_option("--csv", export_csv, "write the points here (- for standard output)");
  h_export->add_option("--events-csv", export_events, "write the events here");
  h_export->add_option("--postgres", export_pg,
                       "load into this database (libpq connection string, e.g. \"host=db dbname=shoal user=shoal\")");
  add_period_options(h_export);
  std::string archive_before;
  auto* h_archive = history->add_subcommand(
      "archive",
      "Move history older than --before out of every live node's store into a file in its\n"
      "history.archive_dir (a RocksDB table file); prints each node's file. Mount a file to query it.\n"
      "Needs an admin token.");
  h_archive->add_option("--before", archive_before, "rows older than this (UTC time or a duration ago, e.g. 90d)")
      ->required();
  add_node_options(h_archive, true);
  add_admin_key(h_archive);
  auto* h_mount = history->add_subcommand(
      "mount", "Mount an archive file on the node asked (a path on that node), so that --archive queries read it. Admin.");
  h_mount->add_option("FILE", archive_file, "the archive file")->required();
  add_node_options(h_mount, true);
  auto* h_unmount = history->add_subcommand("unmount", "Unmount an archive file from the node asked. Admin.");
  h_unmount->add_option("FILE", archive_file, "the archive file")->required();
  add_node_options(h_unmount, true);
  auto* report = app.add_subcommand(
      "report",
      "A utilization summary over a period: the pool's average and peak use against capacity with a\n"
      "histogram, and for each application its use, peak, demand, headroom, and the periods it was\n"
      "squeezed (wanted more than its allocation) or idle.");
  add_period_options(report);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  if (allocate->parsed()) return RunAllocateCommand(allocate_file, allocate_json);
  if (plan->parsed()) return RunPlanCommand(plan_file, plan_json, explain);
  if (validate->parsed()) return RunPolicyValidate(policy_file);
  auto node = Endpoint::Parse(node_text, 7947);
  if (!node.ok()) return Fail("--node: " + node.error().message);
  target.node = *node;
  if (!daemon::PlainAllowedFrom(target.node)) target.sealed = true;
  for (const auto* o : admin_key_options) admin_key_named = admin_key_named || o->count() > 0;
  // Pushes and mode switches are signed when a key is named or the default
  // one exists; unsigned otherwise, for pools whose nodes have no admin keys
  // (deletions and archives are always signed).
  const bool sign_policies = admin_key_named || AdminKeyGiven(admin_key);
  target.timeout = std::chrono::milliseconds(timeout_ms);
  daemon::control::Request request;
  if (status->parsed()) request.mutable_status();
  if (nodes->parsed()) request.mutable_nodes();
  if (apps->parsed()) request.mutable_apps();
  if (app_cmd->parsed()) request.mutable_app()->set_name(app_name);
  if (show->parsed()) request.mutable_policy_show();
  if (versions->parsed()) request.mutable_policy_versions();
  if (mode->parsed()) {
    target.want_admin = true;
    request.mutable_mode()->set_enforce(mode_name == "enforce");
  }
  if (push->parsed()) {
    auto text = ReadInputFile(push_file);
    if (!text) return Fail(text.error().message);
    if (const size_t limit = policy::ParseOptions{}.max_bytes; text->size() > limit) {
      return Fail(fmt::format("{} is {} bytes: a policy document is at most {} bytes; not sent", push_file,
                              text->size(), limit));
    }
    target.want_admin = true;
    request.mutable_policy_push()->set_text(std::move(*text));
  }
  const int64_t now_ms = WallClockMs();
  if (h_delete->parsed()) {
    auto before = ParseTimeText(before_text, now_ms);
    if (!before.ok()) return Fail("--before: " + before.error().message);
    target.want_admin = true;
    auto* d = request.mutable_history_delete();
    d->set_app(del_app);
    d->set_node(hist_node);
    d->set_before_ms(*before);
  }
  if (h_archive->parsed()) {
    auto before = ParseTimeText(archive_before, now_ms);
    if (!before.ok()) return Fail("--before: " + before.error().message);
    target.want_admin = true;
    request.mutable_history_archive()->set_before_ms(*before);
  }
  if (h_mount->parsed() || h_unmount->parsed()) {
    target.want_admin = true;
    request.mutable_history_mount()->set_file(archive_file);
    request.mutable_history_mount()->set_unmount(h_unmount->parsed());
  }
  if (auto signed_ok = SignAdminRequest(request, target, admin_key, sign_policies, now_ms); !signed_ok.ok()) {
    return Fail(signed_ok.error().message);
  }
  for (auto* c : {h_app, h_node, h_pool, h_events, report, h_export}) {
    if (!c->parsed()) continue;
    if (timeout_ms == 5000) target.timeout = std::chrono::seconds(60);  // a pool-wide query may take a while
    auto range = ParseRange(since, from_text, to_text, now_ms);
    if (!range.ok()) return Fail(range.error().message);
    daemon::control::HistoryQuery q;
    q.set_what(c == h_app ? "app" : c == h_node ? "node" : c == h_events ? "events" : "pool");
    q.set_name(hist_name);
    q.set_node(hist_node);
    q.set_per_node(per_node);
    q.set_archive(from_archive);
    q.set_from_ms(range->from_ms);
    q.set_to_ms(range->to_ms);
    if (!step_text.empty()) {
      auto step = ParseDurationText(step_text);
      if (!step.ok()) return Fail("--step: " + step.error().message);
      q.set_step_ms(*step);
    }
    if (c == h_export) {
      if (export_csv.empty() && export_events.empty() && export_pg.empty()) {
        return Fail("history export: give --csv FILE, --events-csv FILE or --postgres CONNINFO");
      }
      return RunExport(target, std::move(q), export_csv, export_events, export_pg);
    }
    return RunHistory(target, std::move(q), json, c == report);
  }
  if (request.command_case() != daemon::control::Request::COMMAND_NOT_SET) return RunControl(target, request, json);
  return kUsage;
}
