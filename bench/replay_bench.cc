// Times planning from history on one core: a replay of recorded periods
// under a draft (policy::Replay, what `shoalctl whatif` runs) and a
// suggestion from them (policy::DemandSeries and policy::Suggest, what
// `shoalctl suggest` runs). Prints one JSON object; bench/replay.sh records it.
//
// The pool: N nodes of 16 cores, every node running all A applications;
// each application's demand follows its own daily curve (peaks spread over
// the day) with noise, so that some applications are complementary. The
// draft books 70% of the applications (pool percentages, cores, server
// percentages; priorities 1 to 3; a weekday window on a tenth of them)
// for about 90% of the pool. Periods are made one at a time, untimed; only
// Replay::Add and DemandSeries::Add and Suggest are timed.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/self_rss.h"
#include "core/random.h"
#include "policy/parser.h"
#include "policy/replay.h"
#include "policy/suggestion.h"

namespace {

using namespace shoal;
using namespace shoal::policy;
using Steady = std::chrono::steady_clock;

constexpr double kCoresPerNode = 16;

std::string AppName(size_t a) { return "app-" + std::to_string(a); }

std::string DraftXml(size_t apps, Random& rng) {
  std::string xml = "<shoal-policy version=\"1\" mode=\"enforce\">\n";
  for (size_t a = 0; a < apps; ++a) {
    xml += fmt::format("<application name=\"{}\"><process name=\"p{}\"/></application>\n", AppName(a), a);
  }
  const double each = 90.0 / (0.7 * static_cast<double>(apps));  // percent of the pool per booked application
  for (size_t a = 0; a < apps; ++a) {
    if (!rng.Chance(0.7)) continue;
    const int priority = 1 + static_cast<int>(rng.Below(3));
    const double u = rng.Unit();
    std::string cpu = u < 0.5   ? fmt::format("<cpu pool-percent=\"{:.2f}%\"/>", each)
                      : u < 0.8 ? fmt::format("<cpu server-percent=\"{:.2f}%\"/>", each)
                                : fmt::format("<cpu cores=\"{:.2f}\"/>", each / 100 * kCoresPerNode);
    std::string window;
    if (a % 10 == 0) {
      window = fmt::format("<schedule timezone=\"UTC\"><window days=\"mon-fri\" from=\"09:00\" to=\"17:00\">"
                           "<cpu pool-percent=\"{:.2f}%\"/></window></schedule>",
                           each * 1.5);
    }
    xml += fmt::format("<policy application=\"{}\" priority=\"{}\">{}{}</policy>\n", AppName(a), priority, cpu, window);
  }
  return xml + "</shoal-policy>\n";
}

// Period t of `step_ms`: every application's demand on every node.
void MakePeriod(RecordedPeriod& p, size_t nodes, size_t apps, int64_t time_ms, Random& rng) {
  p.time_ms = time_ms;
  p.failed_nodes = 0;
  if (p.nodes.empty()) {
    for (size_t n = 0; n < nodes; ++n) {
      const std::string name = "node-" + std::to_string(n);
      p.nodes.push_back({NodeId::FromName(name), name, kCoresPerNode * 1000});
    }
    for (size_t n = 0; n < nodes; ++n) {
      for (size_t a = 0; a < apps; ++a) p.instances.push_back({AppName(a), p.nodes[n].id, 0, 0, 0, 0});
    }
  }
  const double day = static_cast<double>(time_ms % 86'400'000) / 86'400'000;
  const double fair = kCoresPerNode * 1000 / static_cast<double>(apps);
  for (size_t k = 0; k < p.instances.size(); ++k) {
    const double phase = static_cast<double>(k % apps) / static_cast<double>(apps);
    const double curve = 0.6 + 0.5 * std::sin(2 * M_PI * (day - phase));
    auto& i = p.instances[k];
    i.demand = std::max(0.0, fair * curve * (0.8 + 0.4 * rng.Unit()));
    i.usage = i.demand * 0.9;
    i.booking = fair * 0.5;
    i.allocation = std::min(i.demand, fair);
  }
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times a replay of recorded periods under a draft and a suggestion from them, on one core."};
  size_t nodes = 128, apps = 50, periods = 1440, suggest_periods = 10'080;
  int64_t step_s = 60;
  uint64_t seed = 1;
  app.add_option("--nodes", nodes, "nodes in the recorded pool")->capture_default_str();
  app.add_option("--apps", apps, "applications, each on every node")->capture_default_str();
  app.add_option("--periods", periods, "replayed periods (1440: a day of minutes)")->capture_default_str();
  app.add_option("--suggest-periods", suggest_periods, "periods a suggestion reads (10080: a week of minutes)")
      ->capture_default_str();
  app.add_option("--step-s", step_s, "seconds between periods")->capture_default_str();
  app.add_option("--seed", seed, "seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Random rng(seed);
  auto parsed = ParsePolicy(DraftXml(apps, rng));
  if (!parsed.ok()) {
    std::fprintf(stderr, "replay-bench: the draft does not parse: %s\n", parsed.errors[0].message.c_str());
    return 1;
  }
  auto replay = Replay::Create(parsed.document);
  if (!replay.ok()) return 1;
  const int64_t start_ms = 1'764'547'200'000;  // a Monday, 00:00 UTC
  RecordedPeriod p;
  Steady::duration replay_time{};
  for (size_t t = 0; t < periods; ++t) {
    MakePeriod(p, nodes, apps, start_ms + static_cast<int64_t>(t) * step_s * 1000, rng);
    const auto before = Steady::now();
    replay->Add(p);
    replay_time += Steady::now() - before;
  }
  const auto& r = replay->report();
  double allocated = 0;
  for (const auto& a : r.apps) allocated += a.replayed.allocated;

  DemandSeries series;
  Steady::duration series_time{};
  for (size_t t = 0; t < suggest_periods; ++t) {
    MakePeriod(p, nodes, apps, start_ms + static_cast<int64_t>(t) * step_s * 1000, rng);
    const auto before = Steady::now();
    series.Add(p);
    series_time += Steady::now() - before;
  }
  const auto before = Steady::now();
  auto s = Suggest(std::move(series), parsed.document, {95, 0.2});
  const auto suggest_time = Steady::now() - before;
  if (!s.ok()) return 1;
  std::printf(
      "{\"nodes\": %zu, \"apps\": %zu, \"instances\": %zu, \"step_s\": %lld, \"replayed_periods\": %zu, "
      "\"replay_s\": %.3f, \"replay_per_period_ms\": %.3f, \"overbooked_periods\": %zu, "
      "\"suggest_periods\": %zu, \"suggest_gather_s\": %.3f, \"suggest_s\": %.3f, \"complementary\": %zu, "
      "\"rss_kb\": %llu, \"checksum\": %.0f}\n",
      nodes, apps, p.instances.size(), static_cast<long long>(step_s), r.periods, Ms(replay_time) / 1000,
      Ms(replay_time) / static_cast<double>(r.periods), r.overbooked_periods, suggest_periods,
      Ms(series_time) / 1000, Ms(suggest_time) / 1000, s->complementary.size(),
      static_cast<unsigned long long>(bench::SelfRssKb()), allocated);
  return 0;
}
