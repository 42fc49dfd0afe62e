#include "policy/units.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "policy/model.h"

namespace shoal::policy {
namespace {

// A non-negative decimal number at the start of `text`; `rest` gets the remainder.
std::optional<double> LeadingNumber(std::string_view text, std::string_view& rest) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, v);
  if (ec != std::errc() || p != text.data() + i || !std::isfinite(v)) return std::nullopt;
  rest = text.substr(i);
  return v;
}

constexpr std::pair<std::string_view, double> kRateUnits[] = {
    {"", 1},          {"B", 1},           {"kB", 1e3},        {"MB", 1e6},  {"GB", 1e9},
    {"bit", 1.0 / 8}, {"kbit", 1e3 / 8}, {"Mbit", 1e6 / 8}, {"Gbit", 1e9 / 8}, {"Tbit", 1e12 / 8},
};

constexpr std::string_view kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int DayIndex(std::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (kDayNames[i] == name) return i;
  }
  return -1;
}

}  // namespace

Result<uint64_t> ParseRate(std::string_view text) {
  std::string_view unit;
  auto v = LeadingNumber(text, unit);
  if (!v) return MakeError("\"{}\" is not a rate (write e.g. 100Mbit, 1Gbit, 12MB)", text);
  for (const auto& [name, factor] : kRateUnits) {
    if (unit == name) {
      double bytes = *v * factor;
      if (bytes < 1 || bytes > 1e15) return MakeError("rate \"{}\" is out of range (1 B/s to 1 PB/s)", text);
      return static_cast<uint64_t>(std::llround(bytes));
    }
  }
  return MakeError("\"{}\": unknown rate unit \"{}\" (bit, kbit, Mbit, Gbit, Tbit, B, kB, MB, GB)", text, unit);
}

std::string FormatRate(uint64_t b) {
  const uint64_t bits = b * 8;
  if (bits % 1'000'000'000 == 0) return fmt::format("{}Gbit", bits / 1'000'000'000);
  if (bits % 1'000'000 == 0) return fmt::format("{}Mbit", bits / 1'000'000);
  if (bits % 1'000 == 0) return fmt::format("{}kbit", bits / 1'000);
  return fmt::format("{}B", b);
}

Result<double> ParsePercent(std::string_view text) {
  std::string_view rest;
  auto v = LeadingNumber(text, rest);
  if (!v || !(rest.empty() || rest == "%")) return MakeError("\"{}\" is not a percentage (write e.g. 40%)", text);
  if (*v > 100) return MakeError("{}% is over 100%", FormatNumber(*v));
  return *v;
}

std::string FormatNumber(double x) {
  std::string s = fmt::format("{:.6f}", x);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

Result<int64_t> ParseDurationMs(std::string_view text) {
  std::string_view unit;
  auto v = LeadingNumber(text, unit);
  double factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1e3;
  else if (unit == "m") factor = 60e3;
  else if (unit == "h") factor = 3600e3;
  if (!v || factor == 0) return MakeError("\"{}\" is not a duration (write e.g. 500ms, 30s, 5m, 1h)", text);
  double ms = *v * factor;
  if (ms < 1 || ms > 365.0 * 86400e3) return MakeError("duration \"{}\" is out of range (1 ms to a year)", text);
  return static_cast<int64_t>(std::llround(ms));
}

std::string FormatDurationMs(int64_t ms) {
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1'000 == 0) return fmt::format("{}s", ms / 1'000);
  return fmt::format("{}ms", ms);
}

Result<int> ParseTimeOfDay(std::string_view text, bool allow_end_of_day) {
  auto bad = [&] { return MakeError("\"{}\" is not a time of day (write HH:MM, e.g. 08:30)", text); };
  if (text.size() != 5 || text[2] != ':') return bad();
  int h = 0, m = 0;
  auto r1 = std::from_chars(text.data(), text.data() + 2, h);
  auto r2 = std::from_chars(text.data() + 3, text.data() + 5, m);
  if (r1.ec != std::errc() || r1.ptr != text.data() + 2 || r2.ec != std::errc() || r2.ptr != text.data() + 5) {
    return bad();
  }
  if (h == 24 && m == 0) {
    if (!allow_end_of_day) return MakeError("24:00 can only end a window");
    return 1440;
  }
  if (h > 23 || m > 59) return bad();
  return h * 60 + m;
}

std::string FormatTimeOfDay(int minutes) { return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60); }

Result<uint8_t> ParseDays(std::string_view text) {
  if (text == "daily") return uint8_t{0x7f};
  uint8_t days = 0;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t dash = item.find('-');
    int from = DayIndex(item.substr(0, dash));
    int to = dash == std::string_view::npos ? from : DayIndex(item.substr(dash + 1));
    if (from < 0 || to < 0) {
      return MakeError("\"{}\" is not a day or range of days (mon..sun, e.g. mon-fri or sat,sun)", item);
    }
    if (to < from) return MakeError("\"{}\": a range runs forward, from mon to sun", item);
    for (int d = from; d <= to; ++d) days |= static_cast<uint8_t>(1u << d);
    if (comma == std::string_view::npos) break;
  }
  if (days == 0) return MakeError("no days given");
  return days;
}

std::string FormatDays(uint8_t days) {
  if (days == 0x7f) return "daily";
  std::string out;
  for (int d = 0; d < 7;) {
    if (!(days & (1u << d))) {
      ++d;
      continue;
    }
    int e = d;
    while (e + 1 < 7 && (days & (1u << (e + 1)))) ++e;
    if (!out.empty()) out += ",";
    out += std::string(kDayNames[d]);
    if (e > d) out += "-" + std::string(kDayNames[e]);
    d = e + 1;
  }
  return out;
}

}  // namespace shoal::policy
