#include "tools/ctl/history_cmd.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "tools/ctl/history_format.h"
#include "tools/ctl/pool_cmd.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace control = daemon::control;

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

Result<double> PercentArg(const std::string& option, const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  char* end = nullptr;
  const double x = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || !(x >= 0) || x > 1000) {
    return MakeError("{} '{}': give a percentage from 0% to 1000%, e.g. 20%", option, text);
  }
  return percent || x > 1 ? x / 100 : x;
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
  std::string out = AnswerHeader(a);
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

}  // namespace shoal::ctl
