#include "tools/ctl/history_cmd.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace control = daemon::control;

namespace {

std::string Cores(double millicores) { return fmt::format("{:.2f}", millicores / 1000.0); }
std::string Percent(double fraction) { return fmt::format("{:.0f}%", 100.0 * fraction); }

std::string Span(int64_t ms) {
  if (ms % 86'400'000 == 0) return fmt::format("{}d", ms / 86'400'000);
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string Header(const control::HistoryAnswer& a) {
  std::string out = fmt::format("{} to {} UTC, every {} (from {} rows)\n", FormatTime(a.from_ms()),
                                FormatTime(a.to_ms()), Span(a.step_ms()), a.level());
  for (const auto& s : a.sources()) out += fmt::format("note: {} (a replica; the node is not answering)\n", s);
  for (const auto& f : a.failures()) out += fmt::format("warning: no answer from {}\n", f);
  return out;
}

// Runs of consecutive buckets where `in` holds, as "FROM - TO" lines.
template <typename Pred>
std::vector<std::string> Periods(const std::vector<const control::HistoryPoint*>& points, int64_t step, Pred in) {
  std::vector<std::string> out;
  int64_t start = -1, end = -1;
  auto flush = [&] {
    if (start >= 0) out.push_back(fmt::format("{} - {}", FormatTime(start), FormatTime(end)));
    start = -1;
  };
  for (const auto* p : points) {
    if (!in(*p)) {
      flush();
      continue;
    }
    if (start < 0 || p->time_ms() != end) {
      flush();
      start = p->time_ms();
    }
    end = p->time_ms() + step;
  }
  flush();
  return out;
}

// A ten-bucket histogram of values in [0, 1] (the last bucket holds >= 0.9,
// over 1 included), one line per bucket with a bar.
std::string Histogram(const std::vector<double>& values, const std::string& indent) {
  if (values.empty()) return "";
  std::array<size_t, 10> counts{};
  for (double v : values) counts[std::clamp(static_cast<int>(v * 10), 0, 9)]++;
  const size_t most = *std::max_element(counts.begin(), counts.end());
  std::string out;
  for (int i = 0; i < 10; ++i) {
    const size_t bar = most ? (counts[i] * 40 + most - 1) / most : 0;
    out += fmt::format("{}{:>3}-{:<4} {:>5}  {}\n", indent, i * 10, i == 9 ? "+" : std::to_string(i * 10 + 10) + "%",
                       counts[i], std::string(bar, '#'));
  }
  return out;
}

}  // namespace

Result<int64_t> ParseDurationText(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9 || digits + 1 != text.size()) {
    return MakeError("'{}' is not a duration (a number and one of s, m, h, d, w: 90s, 15m, 6h, 2d, 1w)", text);
  }
  const int64_t n = std::stoll(text.substr(0, digits));
  static const std::map<char, int64_t> kUnit = {
      {'s', 1000}, {'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}, {'w', 7 * 86'400'000LL}};
  auto u = kUnit.find(text.back());
  if (u == kUnit.end()) return MakeError("'{}': the unit must be one of s, m, h, d, w", text);
  return n * u->second;
}

Result<int64_t> ParseTimeText(const std::string& text, int64_t now_ms) {
  if (text == "now") return now_ms;
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) && text.find('-') == std::string::npos) {
    auto d = ParseDurationText(text);
    if (!d.ok()) return d.error();
    return now_ms - *d;
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  int used = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%n%c%2d:%2d%n", &y, &mo, &d, &used, &sep, &h, &mi, &used);
  bool ok = n == 3 ? static_cast<size_t>(used) == text.size() : n == 6 && (sep == 'T' || sep == ' ');
  if (ok && n == 6) {
    std::string rest = text.substr(static_cast<size_t>(used));
    if (rest.size() >= 3 && rest[0] == ':' && std::isdigit(static_cast<unsigned char>(rest[1])) &&
        std::isdigit(static_cast<unsigned char>(rest[2]))) {
      s = (rest[1] - '0') * 10 + (rest[2] - '0');
      rest = rest.substr(3);
    }
    ok = rest.empty() || rest == "Z";
  }
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
    return MakeError("'{}' is not a time: use now, a duration ago (2h), or UTC YYYY-MM-DD[THH:MM[:SS]]", text);
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

Result<TimeRange> ParseRange(const std::string& since, const std::string& from, const std::string& to,
                             int64_t now_ms) {
  TimeRange r;
  r.to_ms = now_ms;
  if (!to.empty()) {
    auto t = ParseTimeText(to, now_ms);
    if (!t.ok()) return MakeError("--to: {}", t.error().message);
    r.to_ms = *t;
  }
  if (!since.empty()) {
    auto d = ParseDurationText(since);
    if (!d.ok()) return MakeError("--since: {}", d.error().message);
    r.from_ms = r.to_ms - *d;
  } else if (!from.empty()) {
    auto f = ParseTimeText(from, now_ms);
    if (!f.ok()) return MakeError("--from: {}", f.error().message);
    r.from_ms = *f;
  } else {
    r.from_ms = r.to_ms - 3'600'000;
  }
  if (r.from_ms >= r.to_ms) {
    return MakeError("the period {} to {} is empty: --from must be before --to", FormatTime(r.from_ms),
                     FormatTime(r.to_ms));
  }
  return r;
}

std::string FormatTime(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string HistoryText(const control::HistoryAnswer& a, const std::string& what) {
  std::string out = Header(a);
  if (what == "events") {
    Table t({"TIME", "NODE", "KIND", "SUBJECT", "WHAT"});
    for (const auto& e : a.events()) t.Add({FormatTime(e.time_ms()), e.node(), e.kind(), e.subject(), e.text()});
    return out + (t.empty() ? "no events in the period\n" : t.Render());
  }
  const bool apps = what == "app", pipes = what == "pipe";
  // Pipes: bytes per second; a lane's capacity is every carrier's (the same).
  auto amount = [pipes](double v) { return pipes ? RateText(v) : Cores(v); };
  std::vector<std::string> cols = {"TIME"};
  if (apps) cols.push_back("APPLICATION");
  if (pipes) cols.push_back("SERIES");
  cols.push_back("NODE");
  for (const char* c : {">USED", ">PEAK", ">DEMAND", ">BOOKED", ">ALLOCATED"}) cols.push_back(c);
  if (apps) {
    cols.push_back(">SQUEEZED");
    cols.push_back(">IDLE");
  } else {
    cols.push_back(">CAPACITY");
  }
  Table t(cols);
  for (const auto& p : a.points()) {
    std::vector<std::string> row = {FormatTime(p.time_ms())};
    if (apps || pipes) row.push_back(p.series());
    row.push_back(p.node().empty() ? fmt::format("({} nodes)", p.nodes()) : p.node());
    for (double v : {p.usage_m(), p.usage_peak_m(), p.demand_m(), p.booking_m(), p.allocation_m()}) {
      row.push_back(amount(v));
    }
    if (apps) {
      row.push_back(Percent(p.squeezed()));
      row.push_back(Percent(p.idle()));
    } else if (pipes) {
      row.push_back(p.capacity_m() > 0 ? RateText(p.capacity_m() / std::max(1u, p.nodes())) : "-");
    } else {
      row.push_back(Cores(p.capacity_m()));
    }
    t.Add(std::move(row));
  }
  if (t.empty()) return out + "no history in the period\n";
  if (pipes) {
    return out + t.Render() +
           "Bytes per second, averages over each bucket; PEAK adds each node's peak. SERIES PIPE/DIR is the\n"
           "pipe on the nodes (ALLOCATED: their credit), PIPE/DIR/APP an application's part of it.\n";
  }
  return out + t.Render() +
         "CPU in cores, averages over each bucket; PEAK adds each node's peak. SQUEEZED: share of samples that\n"
         "wanted more than their allocation; IDLE: share that used under 5% of the booking.\n";
}

std::string ReportText(const control::HistoryAnswer& apps, const control::HistoryAnswer& pool) {
  std::string out = Header(pool);
  // The pool.
  double cap = 0, used = 0, peak = 0, peak_cap = 1;
  int64_t peak_at = 0;
  std::vector<double> utilization;
  for (const auto& p : pool.points()) {
    cap += p.capacity_m();
    used += p.usage_m();
    if (p.usage_m() > peak) {
      peak = p.usage_m();
      peak_cap = std::max(1.0, p.capacity_m());
      peak_at = p.time_ms();
    }
    if (p.capacity_m() > 0) utilization.push_back(p.usage_m() / p.capacity_m());
  }
  const size_t n = std::max<size_t>(1, pool.points_size());
  out += "\npool\n";
  if (pool.points_size() == 0) {
    out += "  no history in the period\n";
  } else {
    out += fmt::format("  capacity   {} cores on average\n", Cores(cap / n));
    out += fmt::format("  used       {} cores on average ({} of capacity)\n", Cores(used / n),
                       Percent(cap > 0 ? used / cap : 0));
    out += peak_at == 0 ? std::string("  peak       none: nothing was used\n")
                        : fmt::format("  peak       {} cores ({} of capacity) at {}\n", Cores(peak),
                                      Percent(peak / peak_cap), FormatTime(peak_at));
    out += "  utilization, share of buckets:\n" + Histogram(utilization, "    ");
  }
  // Each application.
  std::map<std::string, std::vector<const control::HistoryPoint*>> by_app;
  for (const auto& p : apps.points()) by_app[p.series()].push_back(&p);
  for (auto& [name, points] : by_app) {
    std::sort(points.begin(), points.end(), [](auto* a, auto* b) { return a->time_ms() < b->time_ms(); });
    double u = 0, d = 0, b = 0, al = 0, pk = 0, sq = 0, id = 0;
    uint64_t samples = 0;
    std::vector<double> of_allocation;
    for (const auto* p : points) {
      u += p->usage_m();
      d += p->demand_m();
      b += p->booking_m();
      al += p->allocation_m();
      pk = std::max(pk, p->usage_m());
      sq += p->squeezed() * p->samples();
      id += p->idle() * p->samples();
      samples += p->samples();
      if (p->allocation_m() > 0) of_allocation.push_back(p->usage_m() / p->allocation_m());
    }
    const double m = static_cast<double>(points.size());
    out += fmt::format("\n{}\n", name);
    out += fmt::format("  used       {} cores on average, peak {} (booked {}, allocated {})\n", Cores(u / m),
                       Cores(pk), Cores(b / m), Cores(al / m));
    out += fmt::format("  demand     {} cores on average\n", Cores(d / m));
    out += fmt::format("  headroom   {} cores between its peak and its average allocation\n", Cores(al / m - pk));
    out += fmt::format("  squeezed   {} of samples\n", Percent(samples ? sq / samples : 0));
    for (const auto& s : Periods(points, apps.step_ms(), [](const auto& p) { return p.squeezed() >= 0.5; })) {
      out += "    " + s + "\n";
    }
    out += fmt::format("  idle       {} of samples\n", Percent(samples ? id / samples : 0));
    for (const auto& s : Periods(points, apps.step_ms(), [](const auto& p) { return p.idle() >= 0.5; })) {
      out += "    " + s + "\n";
    }
    if (!of_allocation.empty()) out += "  use of its allocation, share of buckets:\n" + Histogram(of_allocation, "    ");
  }
  if (by_app.empty()) out += "\nno application history in the period\n";
  return out;
}

namespace {

using Points = std::vector<const control::HistoryPoint*>;

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
  if (!of_capacity.empty()) out += "  use of the capacity, share of buckets:\n" + Histogram(of_capacity, "    ");
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
