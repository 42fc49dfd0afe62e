#include "tools/ctl/whatif_text.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/control/event_format.h"
#include "policy/plan_explain.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/history_format.h"
#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace {

double Avg(double sum, size_t n) { return n ? sum / static_cast<double>(n) : 0; }
std::string Percent1(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

// "draft / recorded"
std::string Pair(const std::string& draft, const std::string& recorded) { return draft + " / " + recorded; }

std::string EditsText(const policy::PoolEdits& e) {
  std::vector<std::string> parts;
  if (!e.only_nodes.empty()) parts.push_back(fmt::format("only {}", fmt::join(e.only_nodes, ", ")));
  for (const auto& n : e.without_nodes) parts.push_back("without " + n);
  for (const auto& m : e.moves) parts.push_back(fmt::format("{} moved from {} to {}", m.app, m.from, m.to));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string TimesText(const std::vector<int64_t>& times, size_t count) {
  std::vector<std::string> shown;
  for (int64_t t : times) shown.push_back(FormatTime(t));
  std::string text = fmt::format("{}", fmt::join(shown, ", "));
  if (count > times.size()) text += fmt::format(" and {} more", count - times.size());
  return text;
}

std::string AppsTable(const policy::ReplayReport& r) {
  Table t({"APPLICATION", "DRAFT POLICY", ">BOOKED", ">ALLOCATED", ">DEMAND", ">MET", ">SQUEEZED", ">IDLE BOOKED",
           ">UNMET"});
  for (const auto& a : r.apps) {
    const auto &d = a.replayed, &rec = a.recorded;
    t.Add({a.name, a.policy ? policy::CpuPolicyText(*a.policy) : "none (rogue)",
           Pair(Cores(Avg(d.booked, d.periods)), Cores(Avg(rec.booked, rec.periods))),
           Pair(Cores(Avg(d.allocated, d.periods)), Cores(Avg(rec.allocated, rec.periods))),
           Pair(Cores(Avg(d.demand, d.periods)), Cores(Avg(rec.demand, rec.periods))), Pair(Percent1(d.MetFraction()), Percent1(rec.MetFraction())),
           Pair(std::to_string(d.squeezed), std::to_string(rec.squeezed)), Cores(Avg(d.idle_booked, d.periods)),
           std::to_string(a.unmet_periods)});
  }
  return t.Render();
}

std::string NodesTable(const policy::ReplayReport& r) {
  Table t({"NODE", ">PERIODS", ">CAPACITY", ">HEADROOM", ">LOWEST"});
  for (const auto& n : r.nodes) {
    t.Add({n.name, std::to_string(n.periods), Cores(Avg(n.capacity, n.periods)), Cores(Avg(n.headroom, n.periods)),
           Cores(n.min_headroom)});
  }
  return t.Render();
}

std::string PipesTable(const std::vector<engine::LaneAppReplay>& pipes) {
  Table t({"PIPE", "APPLICATION", ">BOOKED", ">CREDIT", ">DEMAND", ">MET", ">SHORT"});
  for (const auto& e : pipes) {
    const auto &d = e.replayed, &rec = e.recorded;
    t.Add({e.lane, e.app, Pair(RateText(Avg(d.booked, d.periods)), RateText(Avg(rec.booked, rec.periods))),
           Pair(RateText(Avg(d.credit, d.periods)), RateText(Avg(rec.credit, rec.periods))),
           Pair(RateText(Avg(d.demand, d.periods)), RateText(Avg(rec.demand, rec.periods))),
           Pair(Percent1(d.MetFraction()), Percent1(rec.MetFraction())),
           Pair(std::to_string(d.short_periods), std::to_string(rec.short_periods))});
  }
  return t.Render();
}

nlohmann::json PipeOutcomeJson(const engine::PipeOutcome& o) {
  return {{"periods", o.periods},
          {"booked_bytes_per_s", Avg(o.booked, o.periods)},
          {"credit_bytes_per_s", Avg(o.credit, o.periods)},
          {"demand_bytes_per_s", Avg(o.demand, o.periods)},
          {"demand_met", o.MetFraction()},
          {"short_periods", o.short_periods}};
}

nlohmann::json OutcomeJson(const policy::Outcome& o) {
  return {{"periods", o.periods},
          {"booked_m", Avg(o.booked, o.periods)},
          {"allocated_m", Avg(o.allocated, o.periods)},
          {"demand_m", Avg(o.demand, o.periods)},
          {"usage_m", Avg(o.usage, o.periods)},
          {"idle_booked_m", Avg(o.idle_booked, o.periods)},
          {"demand_met", o.MetFraction()},
          {"squeezed_periods", o.squeezed},
          {"short_of_booking_periods", o.short_of_booking}};
}

nlohmann::json TimesJson(const std::vector<int64_t>& times) {
  auto j = nlohmann::json::array();
  for (int64_t t : times) j.push_back({{"time_ms", t}, {"time", daemon::control::Rfc3339(t)}});
  return j;
}

}  // namespace

std::string WhatifText(const policy::ReplayReport& r, const std::vector<engine::LaneAppReplay>& pipes,
                       const WhatifHeading& h) {
  std::string out = fmt::format("{} replayed over {} period(s) of {} s, {} to {} (UTC)\n", h.draft, r.periods,
                                h.step_ms / 1000, FormatTime(r.first_ms), FormatTime(r.last_ms + h.step_ms));
  if (!h.edits.empty()) out += "Pool edited: " + EditsText(h.edits) + "\n";
  out += "\nApplications (per period on average, in cores; draft / recorded):\n" + AppsTable(r);
  out += "\nNodes under the draft (headroom: capacity less what was booked or wanted, in cores):\n" + NodesTable(r);
  if (!pipes.empty()) {
    out += "\nPipes (bytes per second per period on average; draft / recorded; SHORT: periods some node's part\n"
           "wanted more than its credit):\n" + PipesTable(pipes);
  }
  if (r.overbooked_periods > 0) {
    out += fmt::format("\nThe draft OVERBOOKS the pool in {} of {} period(s), asking up to {:.0f}% of its capacity: "
                       "{}\n",
                       r.overbooked_periods, r.periods, r.worst_overbooking * 100,
                       TimesText(r.overbooked_times, r.overbooked_periods));
  } else {
    out += "\nThe draft's bookings fit the pool in every period.\n";
  }
  for (const auto& a : r.apps) {
    if (a.unmet_periods == 0) continue;
    out += fmt::format("{}'s booking could not be met in {} period(s): {}\n", a.name, a.unmet_periods,
                       TimesText(a.unmet_times, a.unmet_periods));
  }
  return out;
}

std::string WhatifJson(const policy::ReplayReport& r, const std::vector<engine::LaneAppReplay>& pipes,
                       const WhatifHeading& h) {
  nlohmann::json j = {{"draft", h.draft},
                      {"periods", r.periods},
                      {"step_ms", h.step_ms},
                      {"from_ms", r.first_ms},
                      {"from", daemon::control::Rfc3339(r.first_ms)},
                      {"to_ms", r.last_ms + h.step_ms},
                      {"to", daemon::control::Rfc3339(r.last_ms + h.step_ms)},
                      {"edits", EditsText(h.edits)},
                      {"overbooked_periods", r.overbooked_periods},
                      {"worst_overbooking", r.worst_overbooking},
                      {"overbooked", TimesJson(r.overbooked_times)}};
  auto& apps = j["applications"] = nlohmann::json::array();
  for (const auto& a : r.apps) {
    apps.push_back({{"name", a.name},
                    {"draft_policy", a.policy ? policy::CpuPolicyText(*a.policy) : ""},
                    {"draft", OutcomeJson(a.replayed)},
                    {"recorded", OutcomeJson(a.recorded)},
                    {"unmet_periods", a.unmet_periods},
                    {"unmet", TimesJson(a.unmet_times)}});
  }
  auto& nodes = j["nodes"] = nlohmann::json::array();
  for (const auto& n : r.nodes) {
    nodes.push_back({{"name", n.name},
                     {"periods", n.periods},
                     {"capacity_m", Avg(n.capacity, n.periods)},
                     {"headroom_m", Avg(n.headroom, n.periods)},
                     {"lowest_headroom_m", n.min_headroom}});
  }
  auto& lanes = j["pipes"] = nlohmann::json::array();
  for (const auto& e : pipes) {
    lanes.push_back({{"pipe", e.lane},
                     {"application", e.app},
                     {"draft", PipeOutcomeJson(e.replayed)},
                     {"recorded", PipeOutcomeJson(e.recorded)}});
  }
  return j.dump(2) + "\n";
}

}  // namespace shoal::ctl
