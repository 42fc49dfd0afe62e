// shoalctl's planning from history: whatif (a draft replayed over the
// pool's recorded demand) and suggest (a policy document from it). Both
// fetch the history from any shoald and plan on this machine, with the
// planner the daemons run. See cli.h.
#include <fstream>
#include <iostream>

#include "core/clock.h"
#include "policy/parser.h"
#include "policy/suggestion.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/json_input.h"
#include "tools/ctl/recorded.h"
#include "tools/ctl/whatif_text.h"

namespace shoal::ctl {
namespace {

struct ReplayArgs {
  std::string since, from, to, step;
  std::string draft;
  std::vector<std::string> only_nodes, without_nodes, moves;
  double percentile = 95;
  std::string headroom = "20%";
  std::string out;
};

void AddWindowOptions(CLI::App* c, ReplayArgs& a) {
  c->add_option("--since", a.since, "the period up to --to (default: 1d), e.g. 6h, 2d, 1w");
  c->add_option("--from", a.from, "start: UTC YYYY-MM-DD[THH:MM[:SS]], or a duration ago (2d)");
  c->add_option("--to", a.to, "end (default: now), same forms as --from");
  c->add_option("--step", a.step,
                "one replayed period per step, e.g. 10s, 1m, 5m (default: the period in at most 1440 steps; raised "
                "to the stored resolution where raw samples have expired)");
}

// The window's history, fetched from the pool, each period to `sink`.
Result<Fetched> Fetch(const PoolOptions& pool, const ReplayArgs& a, const PeriodSink& sink) {
  const int64_t now = WallClockMs();
  auto range = ParseRange(a.since.empty() && a.from.empty() ? "1d" : a.since, a.from, a.to, now);
  if (!range.ok()) return range.error();
  int64_t step = ReplayStep(range->from_ms, range->to_ms);
  if (!a.step.empty()) {
    auto s = ParseDurationText(a.step);
    if (!s.ok()) return MakeError("--step: {}", s.error().message);
    step = *s;
  }
  auto target = pool.Target();
  if (!target.ok()) return target.error();
  if (pool.default_timeout()) target->timeout = std::chrono::seconds(60);
  auto recorded = FetchRecorded(*target, range->from_ms, range->to_ms, step, sink);
  if (!recorded.ok()) return recorded.error();
  for (const auto& w : recorded->warnings) std::cerr << "shoalctl: warning: " << w << "\n";
  if (recorded->periods == 0) {
    return MakeError("no history from {} to {}: nothing to replay (is history on, and was the pool up then?)",
                     FormatTime(range->from_ms), FormatTime(range->to_ms));
  }
  return recorded;
}

int RunWhatif(const PoolOptions& pool, const ReplayArgs& a) {
  auto draft = ReadPolicyDocument(a.draft);
  if (!draft.ok()) return kFailed;
  WhatifHeading heading{SourceName(a.draft), 0, {}};
  heading.edits.without_nodes = a.without_nodes;
  heading.edits.only_nodes = a.only_nodes;
  for (const auto& m : a.moves) {
    auto move = policy::ParseMove(m);
    if (!move.ok()) return Fail(move.error().message);
    heading.edits.moves.push_back(*move);
  }
  auto replay = policy::Replay::Create(*draft, heading.edits);
  if (!replay.ok()) return Fail(replay.error().message);
  auto pipes = engine::PipeReplay::Create(*draft, heading.edits);
  if (!pipes.ok()) return Fail(pipes.error().message);
  auto recorded = Fetch(pool, a, [&](const policy::RecordedPeriod& p) {
    replay->Add(p);
    pipes->Add(p);
  });
  if (!recorded.ok()) return Fail(recorded.error().message);
  if (auto s = replay->CheckEdits(); !s.ok()) return Fail(s.error().message);
  heading.step_ms = recorded->step_ms;
  std::cout << (pool.json() ? WhatifJson(replay->report(), pipes->report(), heading)
                            : WhatifText(replay->report(), pipes->report(), heading));
  return 0;
}

int RunSuggest(const PoolOptions& pool, const ReplayArgs& a) {
  if (!(a.percentile > 0 && a.percentile <= 100)) {
    return Fail(fmt::format("--percentile {}: give a percentile above 0 and at most 100", a.percentile));
  }
  auto headroom = PercentArg("--headroom", a.headroom);
  if (!headroom.ok()) return Fail(headroom.error().message);
  auto active = ShowPolicy(pool, 0);
  if (!active.ok()) return Fail(active.error().message);
  if (active->text().empty()) return Fail("the pool has no active policy: push one that defines the applications first");
  auto doc = policy::ParsePolicy(active->text());
  if (!doc.ok()) return Fail("the active policy does not parse here: is shoalctl older than the daemon?");
  policy::DemandSeries series;
  auto recorded = Fetch(pool, a, [&](const policy::RecordedPeriod& p) { series.Add(p); });
  if (!recorded.ok()) return Fail(recorded.error().message);
  const double pool_m = series.capacity.back();
  auto s = policy::Suggest(std::move(series), doc.document, {a.percentile, *headroom});
  if (!s.ok()) return Fail(s.error().message);
  const std::string xml = policy::WriteSuggestion(*s);
  // The same validator a push runs, with the pool as last recorded.
  policy::ParseOptions check;
  check.pool_millicores = pool_m;
  if (auto parsed = policy::ParsePolicy(xml, check); !parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << policy::FormatPolicyError(e, "suggestion") << "\n";
    return Fail("the suggestion does not validate (a bug in shoalctl); nothing written");
  }
  if (a.out.empty()) {
    std::cout << xml;
  } else if (!(std::ofstream(a.out, std::ios::trunc) << xml)) {
    return Fail("cannot write " + a.out);
  }
  std::cerr << fmt::format("suggested from {} period(s) of {} s; {} application(s) booked\n", recorded->periods,
                           recorded->step_ms / 1000, s->comments.size());
  for (const auto& c : s->complementary) {
    std::cerr << fmt::format("complementary: {} and {} (stacked they need {:.2f} cores instead of {:.2f})\n", c.a, c.b,
                             c.stacked / 1000, c.apart / 1000);
  }
  for (const auto& n : s->notes) std::cerr << "note: " << n << "\n";
  return 0;
}

}  // namespace

void AddWhatifCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<ReplayArgs>();
  auto* whatif = app.add_subcommand(
      "whatif",
      "Replay the pool's recorded demand under a draft policy: what each application would have been\n"
      "booked and allocated, how much of its demand met, the periods it would have been squeezed, each\n"
      "node's headroom, whether the draft overbooks the pool, and each application's credit on the\n"
      "draft's pipes, beside what the pool really had. The same planner and pipe division the daemons\n"
      "run, at each period's schedule window and failed nodes. Edit the pool first to ask what removing\n"
      "servers or moving an application would do.");
  whatif->add_option("DRAFT", a->draft, "the draft policy document (- for standard input)")->required();
  AddWindowOptions(whatif, *a);
  whatif->add_option("--nodes", a->only_nodes, "replay as if the pool were only these nodes (comma-separated)")
      ->delimiter(',');
  whatif->add_option("--without-node", a->without_nodes, "replay as if this node were not in the pool (repeatable)");
  whatif->add_option("--move", a->moves, "APP:FROM:TO: replay APP's demand on node FROM as if it ran on TO (repeatable)");
  pool->Add(whatif, true);
  Examples(whatif, "  shoalctl whatif draft.xml --since 7d\n"
                   "  shoalctl whatif policy.xml --from 2026-12-01 --to 2026-12-02 --without-node node-7\n"
                   "  shoalctl whatif draft.xml --since 1d --nodes node-1,node-2,node-3\n"
                   "  shoalctl whatif draft.xml --since 1d --move batch:node-3:node-1 -o json");
  whatif->callback([a, pool, &run] { run = [a, pool] { return RunWhatif(*pool, *a); }; });

  auto* suggest = app.add_subcommand(
      "suggest",
      "Write a policy document from the pool's recorded demand: each application of the active policy\n"
      "booked a percentile of its pool-wide demand plus headroom (in cores), capped where its peaks\n"
      "squeezed others, priorities and everything else kept, a comment on each saying what it is based\n"
      "on. Names the applications whose peaks do not coincide. Check it with whatif, then push it.");
  AddWindowOptions(suggest, *a);
  suggest->add_option("--percentile", a->percentile, "of each application's demand per period (default: 95)");
  suggest->add_option("--headroom", a->headroom, "added to that percentile (default: 20%)");
  suggest->add_option("--out", a->out, "write the document here (default: standard output)");
  pool->Add(suggest, false);
  Examples(suggest, "  shoalctl suggest --since 7d > suggested.xml\n"
                    "  shoalctl whatif suggested.xml --since 7d && shoalctl policy push suggested.xml");
  suggest->callback([a, pool, &run] { run = [a, pool] { return RunSuggest(*pool, *a); }; });
}

}  // namespace shoal::ctl
