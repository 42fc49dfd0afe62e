#include "tools/ctl/report.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/control/event_format.h"
#include "tools/ctl/history_cmd.h"
#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace control = daemon::control;

namespace {

using Points = std::vector<const control::HistoryPoint*>;

double Share(double part, double whole) { return whole > 0 ? part / whole : 0; }

// Every point of `a` by its series (or node, with `by_node`), each in time order.
std::map<std::string, Points> Group(const control::HistoryAnswer& a, bool by_node) {
  std::map<std::string, Points> out;
  for (const auto& p : a.points()) out[by_node ? p.node() : p.series()].push_back(&p);
  for (auto& [name, points] : out) {
    std::sort(points.begin(), points.end(), [](auto* x, auto* y) { return x->time_ms() < y->time_ms(); });
  }
  return out;
}

CapacityUse CapacityOf(std::string name, const Points& points) {
  CapacityUse c;
  c.name = std::move(name);
  c.buckets = points.size();
  std::vector<double> utilization;
  for (const auto* p : points) {
    c.capacity += p->capacity_m();
    c.used += p->usage_m();
    if (p->usage_m() > c.peak) {
      c.peak = p->usage_m();
      c.peak_capacity = p->capacity_m();
      c.peak_at = p->time_ms();
    }
    if (p->capacity_m() > 0) utilization.push_back(p->usage_m() / p->capacity_m());
  }
  const double n = static_cast<double>(std::max<size_t>(1, c.buckets));
  c.capacity /= n;
  c.used /= n;
  c.utilization = ByTenths(utilization);
  return c;
}

// Whether a bucket of an application is squeezed or idle: by the
// thresholds, or by the share of its samples the recorded rule flagged.
bool SqueezedBucket(const control::HistoryPoint& p, const ReportThresholds& t) {
  return t.squeezed_above ? p.demand_m() > p.allocation_m() * (1 + *t.squeezed_above) : p.squeezed() >= 0.5;
}
bool IdleBucket(const control::HistoryPoint& p, const ReportThresholds& t) {
  if (!t.idle_below) return p.idle() >= 0.5;
  return p.usage_m() < *t.idle_below * (p.booking_m() > 0 ? p.booking_m() : p.allocation_m());
}

AppUse AppOf(const std::string& name, const Points& points, const std::map<int64_t, double>& idle_pool,
             const ReportThresholds& t, int64_t step) {
  AppUse a;
  a.name = name;
  a.buckets = points.size();
  // By a threshold: a share of buckets; by the samples' rule: of samples.
  double squeezed_of = 0, idle_of = 0, squeezed = 0, idle = 0;
  std::vector<double> of_allocation;
  auto idle_at = [&](int64_t time) {
    auto it = idle_pool.find(time);
    return it == idle_pool.end() ? 0.0 : it->second;
  };
  for (const auto* p : points) {
    a.used += p->usage_m();
    a.demand += p->demand_m();
    a.booked += p->booking_m();
    a.allocated += p->allocation_m();
    a.burst += idle_at(p->time_ms());
    if (p->usage_m() > a.peak) {
      a.peak = p->usage_m();
      a.peak_at = p->time_ms();
      a.burst_at_peak = idle_at(p->time_ms());
    }
    const double samples = p->samples();
    squeezed_of += t.squeezed_above ? 1.0 : samples;
    squeezed += t.squeezed_above ? SqueezedBucket(*p, t) : p->squeezed() * samples;
    idle_of += t.idle_below ? 1.0 : samples;
    idle += t.idle_below ? IdleBucket(*p, t) : p->idle() * samples;
    if (p->allocation_m() > 0) of_allocation.push_back(p->usage_m() / p->allocation_m());
  }
  const double n = static_cast<double>(std::max<size_t>(1, a.buckets));
  for (double* x : {&a.used, &a.demand, &a.booked, &a.allocated, &a.burst}) *x /= n;
  a.headroom = a.allocated - a.peak;
  a.squeezed = Share(squeezed, squeezed_of);
  a.idle = Share(idle, idle_of);
  a.squeezed_spans = Runs(points, step, [&](const control::HistoryPoint& p) { return SqueezedBucket(p, t); });
  a.idle_spans = Runs(points, step, [&](const control::HistoryPoint& p) { return IdleBucket(p, t); });
  a.of_allocation = ByTenths(of_allocation);
  return a;
}

}  // namespace

UtilizationReport BuildReport(const control::HistoryAnswer& pool, const control::HistoryAnswer& nodes,
                              const control::HistoryAnswer& apps, const ReportThresholds& thresholds) {
  UtilizationReport r;
  r.header = AnswerHeader(pool);
  r.thresholds = thresholds;
  Points all;
  std::map<int64_t, double> idle_pool;  // bucket -> capacity nobody used
  for (const auto& p : pool.points()) {
    all.push_back(&p);
    idle_pool[p.time_ms()] = std::max(0.0, p.capacity_m() - p.usage_m());
  }
  r.pool = CapacityOf("pool", all);
  for (const auto& [name, points] : Group(nodes, true)) r.nodes.push_back(CapacityOf(name, points));
  for (const auto& [name, points] : Group(apps, false)) {
    r.apps.push_back(AppOf(name, points, idle_pool, thresholds, apps.step_ms()));
  }
  return r;
}

namespace {

std::string RuleText(const ReportThresholds& t) {
  return fmt::format("squeezed: {}; idle: {}",
                     t.squeezed_above ? fmt::format("buckets whose demand was over {} above the allocation",
                                                    Percent(*t.squeezed_above))
                                      : std::string("samples that wanted 5% (and 10 millicores) more than their allocation"),
                     t.idle_below ? fmt::format("buckets that used under {} of the booking", Percent(*t.idle_below))
                                  : std::string("samples that used under 5% of the booking"));
}

std::string PoolText(const CapacityUse& c) {
  if (c.buckets == 0) return "\npool\n  no history in the period\n";
  std::string out = "\npool\n";
  out += fmt::format("  capacity   {} cores on average\n", Cores(c.capacity));
  out += fmt::format("  used       {} cores on average ({} of capacity)\n", Cores(c.used), Percent(Share(c.used, c.capacity)));
  out += c.peak_at == 0 ? std::string("  peak       none: nothing was used\n")
                        : fmt::format("  peak       {} cores ({} of capacity) at {}\n", Cores(c.peak),
                                      Percent(Share(c.peak, c.peak_capacity)), FormatTime(c.peak_at));
  return out + "  utilization, share of buckets:\n" + HistogramText(c.utilization, "    ");
}

// One row per node; its buckets by utilization in fifths.
std::string NodesText(const std::vector<CapacityUse>& nodes) {
  if (nodes.empty()) return "";
  Table t({"NODE", ">CAPACITY", ">USED", ">PEAK", ">0-20%", ">20-40%", ">40-60%", ">60-80%", ">80%+"});
  for (const auto& n : nodes) {
    std::vector<std::string> row = {n.name, Cores(n.capacity), Cores(n.used), Cores(n.peak)};
    for (size_t f = 0; f < 10; f += 2) {
      row.push_back(Percent(Share(n.utilization[f] + n.utilization[f + 1], static_cast<double>(n.buckets))));
    }
    t.Add(std::move(row));
  }
  return "\nnodes (cores; share of buckets at each utilization)\n" + t.Render("  ");
}

std::string AppText(const AppUse& a) {
  std::string out = fmt::format("\n{}\n", a.name);
  out += fmt::format("  used       {} cores on average, peak {} (booked {}, allocated {})\n", Cores(a.used),
                     Cores(a.peak), Cores(a.booked), Cores(a.allocated));
  out += fmt::format("  demand     {} cores on average\n", Cores(a.demand));
  out += fmt::format("  headroom   {} cores between its peak and its average allocation\n", Cores(a.headroom));
  out += fmt::format("  burst      {} cores idle in the pool to borrow on average, {} at its peak\n", Cores(a.burst),
                     Cores(a.burst_at_peak));
  out += fmt::format("  squeezed   {}\n", Percent(a.squeezed));
  for (const auto& s : a.squeezed_spans) out += "    " + SpanLine(s) + "\n";
  out += fmt::format("  idle       {}\n", Percent(a.idle));
  for (const auto& s : a.idle_spans) out += "    " + SpanLine(s) + "\n";
  const std::string h = HistogramText(a.of_allocation, "    ");
  if (!h.empty()) out += "  use of its allocation, share of buckets:\n" + h;
  return out;
}

nlohmann::json TimeJson(int64_t ms) { return ms ? nlohmann::json(control::Rfc3339(ms)) : nlohmann::json(nullptr); }

nlohmann::json CapacityJson(const CapacityUse& c) {
  return {{"name", c.name},         {"buckets", c.buckets},    {"capacity_m", c.capacity},
          {"used_m", c.used},       {"peak_m", c.peak},        {"peak_ms", c.peak_at},
          {"peak", TimeJson(c.peak_at)}, {"utilization_tenths", c.utilization}};
}

nlohmann::json SpansJson(const std::vector<TimeSpan>& spans) {
  auto j = nlohmann::json::array();
  for (const auto& s : spans) j.push_back({{"from_ms", s.from_ms}, {"to_ms", s.to_ms}});
  return j;
}

nlohmann::json AppJson(const AppUse& a) {
  return {{"name", a.name},
          {"buckets", a.buckets},
          {"used_m", a.used},
          {"peak_m", a.peak},
          {"peak_ms", a.peak_at},
          {"peak", TimeJson(a.peak_at)},
          {"demand_m", a.demand},
          {"booked_m", a.booked},
          {"allocated_m", a.allocated},
          {"headroom_m", a.headroom},
          {"burst_m", a.burst},
          {"burst_at_peak_m", a.burst_at_peak},
          {"squeezed", a.squeezed},
          {"squeezed_spans", SpansJson(a.squeezed_spans)},
          {"idle", a.idle},
          {"idle_spans", SpansJson(a.idle_spans)},
          {"use_of_allocation_tenths", a.of_allocation}};
}

}  // namespace

std::string ReportText(const UtilizationReport& r) {
  std::string out = r.header + "(" + RuleText(r.thresholds) + ")\n" + PoolText(r.pool) + NodesText(r.nodes);
  for (const auto& a : r.apps) out += AppText(a);
  if (r.apps.empty()) out += "\nno application history in the period\n";
  return out;
}

std::string ReportJson(const UtilizationReport& r, const std::string& pipes_json) {
  nlohmann::json j = {{"rules", RuleText(r.thresholds)}, {"pool", CapacityJson(r.pool)}};
  if (r.thresholds.squeezed_above) j["squeezed_above"] = *r.thresholds.squeezed_above;
  if (r.thresholds.idle_below) j["idle_below"] = *r.thresholds.idle_below;
  auto& nodes = j["nodes"] = nlohmann::json::array();
  for (const auto& n : r.nodes) nodes.push_back(CapacityJson(n));
  auto& apps = j["applications"] = nlohmann::json::array();
  for (const auto& a : r.apps) apps.push_back(AppJson(a));
  j["pipes"] = nlohmann::json::parse(pipes_json);
  return j.dump(2) + "\n";
}

namespace {

// One pipe and direction ("PIPE/DIR", summed over its carriers): capacity,
// use, how often full.
std::string PipeLaneText(const std::string& name, const Points& points) {
  double used = 0, capacity = 0, peak = 0;
  int64_t peak_at = 0;
  std::vector<double> of_capacity;
  for (const auto* p : points) {
    const double cap = p->capacity_m() / std::max(1u, p->nodes());  // every carrier records the pipe's
    used += p->usage_m();
    capacity += cap;
    if (p->usage_m() > peak) {
      peak = p->usage_m();
      peak_at = p->time_ms();
    }
    if (cap > 0) of_capacity.push_back(p->usage_m() / cap);
  }
  const double m = static_cast<double>(points.size());
  const auto full = std::count_if(of_capacity.begin(), of_capacity.end(), [](double f) { return f >= 0.97; });
  std::string out = fmt::format("\npipe {}\n", name);
  out += fmt::format("  capacity   {}\n", RateText(capacity / m));
  out += fmt::format("  used       {} on average ({} of capacity), {}\n", RateText(used / m),
                     Percent(capacity > 0 ? used / capacity : 0),
                     peak_at == 0 ? "nothing sent" : fmt::format("peak {} at {}", RateText(peak), FormatTime(peak_at)));
  out += fmt::format("  full       {} of buckets used 97% or more of the capacity\n",
                     Percent(static_cast<double>(full) / static_cast<double>(std::max<size_t>(1, of_capacity.size()))));
  if (!of_capacity.empty()) out += "  use of the capacity, share of buckets:\n" + HistogramText(ByTenths(of_capacity), "    ");
  return out;
}

// The applications' rows of one pipe and direction ("PIPE/DIR/APP").
std::string PipeAppsText(const std::string& lane, const std::map<std::string, Points>& apps) {
  Table t({"application", ">used", ">peak", ">demand", ">booked", ">allocated", ">short"});
  for (const auto& [series, points] : apps) {
    if (series.compare(0, lane.size() + 1, lane + "/") != 0) continue;
    double u = 0, pk = 0, d = 0, b = 0, al = 0, short_of_demand = 0;
    for (const auto* p : points) {
      u += p->usage_m();
      pk = std::max(pk, p->usage_m());
      d += p->demand_m();
      b += p->booking_m();
      al += p->allocation_m();
      short_of_demand += p->demand_m() > 1.02 * p->allocation_m() ? 1 : 0;
    }
    const double k = static_cast<double>(points.size());
    t.Add({series.substr(lane.size() + 1), RateText(u / k), RateText(pk), RateText(d / k),
           b > 0 ? RateText(b / k) : "-", RateText(al / k), Percent(short_of_demand / k)});
  }
  return t.empty() ? std::string() : t.Render("  ");
}

}  // namespace

std::string PipeReportText(const control::HistoryAnswer& pipes) {
  std::map<std::string, Points> lanes, apps;
  for (const auto& p : pipes.points()) {
    const std::string& s = p.series();
    (std::count(s.begin(), s.end(), '/') == 1 ? lanes : apps)[s].push_back(&p);
  }
  if (lanes.empty()) return "\nno pipe history in the period\n";
  std::string out;
  for (auto& [name, points] : lanes) {
    std::sort(points.begin(), points.end(), [](auto* a, auto* b) { return a->time_ms() < b->time_ms(); });
    out += PipeLaneText(name, points) + PipeAppsText(name, apps);
  }
  return out + "Bytes per second, averages over the buckets; SHORT: share of buckets whose demand was over its\n"
               "allocation (the application wanted more of the pipe than it was given).\n";
}

}  // namespace shoal::ctl
