// shoalctl's history commands: history app/node/pipe/pool/events (and report),
// export, and the admin's delete, archive, mount and unmount, asked of any
// shoald. See cli.h.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <tuple>

#include "core/clock.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/export_cmd.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/message_json.h"
#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/report.h"

namespace shoal::ctl {
namespace {

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

// One of several questions about the same period: `q` asked of `what`.
Result<daemon::control::HistoryAnswer> AskAbout(const ControlTarget& target, daemon::control::HistoryQuery q,
                                                const char* what, bool per_node) {
  q.set_what(what);
  q.set_per_node(per_node);
  return AskHistory(target, std::move(q));
}

// history export: three questions (applications per node, nodes, events),
// then CSV files or a PostgreSQL database.
int RunExport(const ControlTarget& target, daemon::control::HistoryQuery q, const std::string& csv,
              const std::string& events_csv, const std::string& postgres) {
  auto ask = [&](const char* what, bool per_node) { return AskAbout(target, q, what, per_node); };
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

// report: four questions (the pool summed, each node, each application,
// each pipe), answered by any node.
int RunReport(const ControlTarget& target, daemon::control::HistoryQuery q, bool json, const ReportThresholds& t) {
  q.clear_name();  // every application, node and pipe
  auto ask = [&](const char* what, bool per_node) { return AskAbout(target, q, what, per_node); };
  auto pool = ask("pool", false);
  if (!pool.ok()) return Fail(pool.error().message);
  q.set_step_ms(pool->step_ms());
  auto nodes = ask("node", true);
  if (!nodes.ok()) return Fail(nodes.error().message);
  auto apps = ask("app", false);
  if (!apps.ok()) return Fail(apps.error().message);
  auto pipes = ask("pipe", false);
  if (!pipes.ok()) return Fail(pipes.error().message);
  const UtilizationReport r = BuildReport(*pool, *nodes, *apps, t);
  std::cout << (json ? ReportJson(r, MessageJson(*pipes)) : ReportText(r) + PipeReportText(*pipes));
  return 0;
}

int RunHistory(const ControlTarget& target, daemon::control::HistoryQuery q, bool json) {
  const std::string what = q.what();
  auto a = AskHistory(target, std::move(q));
  if (!a.ok()) return Fail(a.error().message);
  std::cout << (json ? MessageJson(*a) : HistoryText(*a, what));
  return 0;
}

// Everything the history commands' flags hold.
struct HistoryArgs {
  std::string since, from, to, step, name, node, before, file, app;
  std::string csv, events_csv, postgres;
  std::string squeezed_above, idle_below;
  bool per_node = false, archive = false;
};

Result<ReportThresholds> ThresholdsOf(const HistoryArgs& a) {
  ReportThresholds t;
  for (auto [text, option, out] : {std::tuple{&a.squeezed_above, "--squeezed-above", &t.squeezed_above},
                                   std::tuple{&a.idle_below, "--idle-below", &t.idle_below}}) {
    if (text->empty()) continue;
    auto v = PercentArg(option, *text);
    if (!v.ok()) return v.error();
    *out = *v;
  }
  return t;
}

// The query a history command asks, from its flags.
Result<daemon::control::HistoryQuery> QueryOf(const HistoryArgs& a, const std::string& what, int64_t now_ms) {
  auto range = ParseRange(a.since, a.from, a.to, now_ms);
  if (!range.ok()) return range.error();
  daemon::control::HistoryQuery q;
  q.set_what(what);
  q.set_name(a.name);
  q.set_node(a.node);
  q.set_per_node(a.per_node);
  q.set_archive(a.archive);
  q.set_from_ms(range->from_ms);
  q.set_to_ms(range->to_ms);
  if (!a.step.empty()) {
    auto step = ParseDurationText(a.step);
    if (!step.ok()) return MakeError("--step: {}", step.error().message);
    q.set_step_ms(*step);
  }
  return q;
}

// A question about a period: `what` is app, node, pipe, events or pool.
enum class Asks { kShow, kReport, kExport };
void Questions(CLI::App* c, const std::string& what, Asks asks, std::shared_ptr<PoolOptions> pool,
               std::shared_ptr<HistoryArgs> a, Run& run) {
  c->callback([=, &run] {
    run = [=] {
      auto target = pool->Target();
      if (!target.ok()) return Fail(target.error().message);
      if (pool->default_timeout()) target->timeout = std::chrono::seconds(60);  // a pool-wide query may take a while
      auto q = QueryOf(*a, what, WallClockMs());
      if (!q.ok()) return Fail(q.error().message);
      if (asks == Asks::kExport) {
        if (a->csv.empty() && a->events_csv.empty() && a->postgres.empty()) {
          return Fail("history export: give --csv FILE, --events-csv FILE or --postgres CONNINFO");
        }
        return RunExport(*target, std::move(*q), a->csv, a->events_csv, a->postgres);
      }
      if (asks == Asks::kShow) return RunHistory(*target, std::move(*q), pool->json());
      auto thresholds = ThresholdsOf(*a);
      if (!thresholds.ok()) return Fail(thresholds.error().message);
      return RunReport(*target, std::move(*q), pool->json(), *thresholds);
    };
  });
}

void AddPeriodOptions(CLI::App* c, HistoryArgs& a, PoolOptions& pool) {
  c->add_option("--since", a.since, "the period up to --to (default: 1h), e.g. 90s, 15m, 6h, 2d, 1w");
  c->add_option("--from", a.from, "start: UTC YYYY-MM-DD[THH:MM[:SS]], or a duration ago (6h)");
  c->add_option("--to", a.to, "end (default: now), same forms as --from");
  c->add_option("--step", a.step, "bucket size, e.g. 10s, 5m, 1h (default: chosen from the period, at most 400 buckets)");
  c->add_flag("--archive", a.archive, "answer from the archive files mounted on the nodes (see history mount)");
  pool.Add(c, true);
}

void AddQuestions(CLI::App* history, std::shared_ptr<PoolOptions> pool, std::shared_ptr<HistoryArgs> a, Run& run) {
  auto* h_app = history->add_subcommand("app", "One application (or every one), summed over the pool.");
  h_app->add_option("NAME", a->name, "the application (default: every one)");
  h_app->add_option("--on", a->node, "only the instance on this node (its name)");
  h_app->add_flag("--per-node", a->per_node, "one series per node instead of the pool's sum");
  AddPeriodOptions(h_app, *a, *pool);
  Examples(h_app, "  shoalctl history app web --from 6h\n  shoalctl history app --per-node --from 2026-12-01 --to 2026-12-02");
  Questions(h_app, "app", Asks::kShow, pool, a, run);
  auto* h_node = history->add_subcommand("node", "A node's own figures: capacity, use, demand, bookings.");
  h_node->add_option("NAME", a->name, "the node's name (default: every node)");
  AddPeriodOptions(h_node, *a, *pool);
  Examples(h_node, "  shoalctl history node node-7 --from 1d --step 1h");
  Questions(h_node, "node", Asks::kShow, pool, a, run);
  auto* h_pipe = history->add_subcommand(
      "pipe", "A pipe's use, demand, booking and allocation, per direction and application, summed over the pool.");
  h_pipe->add_option("NAME", a->name, "the pipe (uplink), a direction of it (uplink/out) or an application's part "
                                      "(uplink/out/web); default: every pipe");
  h_pipe->add_option("--on", a->node, "only this node's figures (its name)");
  h_pipe->add_flag("--per-node", a->per_node, "one series per node instead of the pool's sum");
  AddPeriodOptions(h_pipe, *a, *pool);
  Examples(h_pipe, "  shoalctl history pipe uplink/out --from 1h\n  shoalctl history pipe uplink/out/web --per-node");
  Questions(h_pipe, "pipe", Asks::kShow, pool, a, run);
  auto* h_pool = history->add_subcommand("pool", "The whole pool: every node's figures summed.");
  AddPeriodOptions(h_pool, *a, *pool);
  Examples(h_pool, "  shoalctl history pool --from 7d --step 1h -o json");
  Questions(h_pool, "pool", Asks::kShow, pool, a, run);
  auto* h_events = history->add_subcommand(
      "events", "Recorded events: nodes failing, joining and leaving, policies activated, bookings that cannot be\n"
                "met, squeezed applications... (README, \"Events\"; the last few live: shoalctl events).");
  h_events->add_option("TYPE", a->name, "only this type, e.g. node.failed, policy.activated, booking.unmet");
  h_events->add_option("--on", a->node, "only this node's events (its name)");
  AddPeriodOptions(h_events, *a, *pool);
  Examples(h_events, "  shoalctl history events --from 1d\n  shoalctl history events node.failed --on node-3 --from 30d");
  Questions(h_events, "events", Asks::kShow, pool, a, run);
}

void AddActions(CLI::App* history, std::shared_ptr<PoolOptions> pool, std::shared_ptr<HistoryArgs> a, Run& run) {
  using R = daemon::control::Request;
  auto* h_delete = history->add_subcommand(
      "delete",
      "Delete history on every live node (originals and replicas); logged and recorded as an event\n"
      "on each node. Needs an admin token. Nodes down at the time keep their rows.");
  h_delete->add_option("--app", a->app, "only this application's rows (default: every series)");
  h_delete->add_option("--on", a->node, "only rows of this node (its name; default: every node)");
  h_delete->add_option("--before", a->before, "only rows older than this (UTC time or a duration ago); default: all")
      ->required();
  pool->Add(h_delete, true);
  pool->AddAdminKey(h_delete);
  Examples(h_delete, "  shoalctl history delete --app old-batch --before 30d");
  Sends(h_delete, pool, run, true, [a](int64_t now_ms) -> Result<R> {
    auto before = ParseTimeText(a->before, now_ms);
    if (!before.ok()) return MakeError("--before: {}", before.error().message);
    R r;
    auto* d = r.mutable_history_delete();
    d->set_app(a->app);
    d->set_node(a->node);
    d->set_before_ms(*before);
    return r;
  });
  auto* h_archive = history->add_subcommand(
      "archive",
      "Move history older than --before out of every live node's store into a file in its\n"
      "history.archive_dir (a RocksDB table file); prints each node's file. Mount a file to query it.\n"
      "Needs an admin token.");
  h_archive->add_option("--before", a->before, "rows older than this (UTC time or a duration ago, e.g. 90d)")->required();
  pool->Add(h_archive, true);
  pool->AddAdminKey(h_archive);
  Examples(h_archive, "  shoalctl history archive --before 90d");
  Sends(h_archive, pool, run, true, [a](int64_t now_ms) -> Result<R> {
    auto before = ParseTimeText(a->before, now_ms);
    if (!before.ok()) return MakeError("--before: {}", before.error().message);
    R r;
    r.mutable_history_archive()->set_before_ms(*before);
    return r;
  });
  for (bool unmount : {false, true}) {
    auto* c = unmount ? history->add_subcommand("unmount", "Unmount an archive file from the node asked. Admin.")
                      : history->add_subcommand("mount",
                                                "Mount an archive file on the node asked (a path on that node), so "
                                                "that --archive queries read it. Admin.");
    c->add_option("FILE", a->file, "the archive file")->required();
    Examples(c, unmount ? "  shoalctl history unmount /var/lib/shoal/archive/2026-09.sst"
                        : "  shoalctl history mount /var/lib/shoal/archive/2026-09.sst\n"
                          "  shoalctl history app web --archive --from 2026-09-01 --to 2026-09-08");
    pool->Add(c, true);
    Sends(c, pool, run, true, [a, unmount](int64_t) -> Result<R> {
      R r;
      r.mutable_history_mount()->set_file(a->file);
      r.mutable_history_mount()->set_unmount(unmount);
      return r;
    });
  }
}

}  // namespace

Result<daemon::control::HistoryAnswer> AskHistory(const ControlTarget& target, daemon::control::HistoryQuery q) {
  daemon::control::Request request;
  *request.mutable_history() = std::move(q);
  auto reply = CallControl(target, std::move(request), ProgressBar());
  if (isatty(STDERR_FILENO)) std::cerr << "\r\033[K" << std::flush;
  if (!reply.ok()) return reply.error();
  if (!reply->has_history()) return MakeError("the daemon answered with something else than history");
  return reply->history();
}

void AddHistoryCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<HistoryArgs>();
  auto* history = app.add_subcommand(
      "history",
      "What happened over a period, across the pool: usage, demand, booking and allocation per\n"
      "application or node, and events. Any node answers, from the nodes holding the data (a dead\n"
      "node's history comes from its replicas). The resolution follows the period: raw samples,\n"
      "minute or hour roll-ups.");
  history->require_subcommand(1);
  AddQuestions(history, pool, a, run);
  AddActions(history, pool, a, run);
  auto* h_export = history->add_subcommand(
      "export",
      "Write history over a period as CSV (every application on every node, and every node's own\n"
      "figures, one line per bucket; events to a second file), or load it into PostgreSQL (tables\n"
      "shoal_history and shoal_events, created if missing; a period exported again replaces its rows).");
  h_export->add_option("--csv", a->csv, "write the points here (- for standard output)");
  h_export->add_option("--events-csv", a->events_csv, "write the events here");
  h_export->add_option("--postgres", a->postgres,
                       "load into this database (libpq connection string, e.g. \"host=db dbname=shoal user=shoal\")");
  AddPeriodOptions(h_export, *a, *pool);
  Examples(h_export, "  shoalctl history export --from 1d --csv day.csv --events-csv day-events.csv\n"
                     "  shoalctl history export --from 7d --postgres \"host=db dbname=shoal user=shoal\"");
  Questions(h_export, "pool", Asks::kExport, pool, a, run);
  auto* report = app.add_subcommand(
      "report",
      "A utilization summary over a period: the pool's average and peak use against capacity with a\n"
      "histogram, each node's buckets by utilization, and for each application its use, peak, demand,\n"
      "headroom, burst headroom (idle pool capacity it could have borrowed), and the periods it was\n"
      "squeezed (wanted more than its allocation) or idle; for each pipe and direction its use\n"
      "against capacity, how often it was full, and per application used, demand, booked, allocated.");
  AddPeriodOptions(report, *a, *pool);
  report->add_option("--squeezed-above", a->squeezed_above,
                     "count a bucket as squeezed when the application's demand was more than this above its "
                     "allocation, e.g. 10% (default: the samples' own rule, 5% and 10 millicores)");
  report->add_option("--idle-below", a->idle_below,
                     "count a bucket as idle when the application used less than this of its booking (of its "
                     "allocation without one), e.g. 20% (default: the samples' own rule, 5%)");
  Examples(report, "  shoalctl report --from 2026-11-01 --to 2026-11-08\n"
                   "  shoalctl report --since 7d --squeezed-above 10% --idle-below 20%\n"
                   "  shoalctl report --from 1d --json");
  Questions(report, "pool", Asks::kReport, pool, a, run);
}

}  // namespace shoal::ctl
