#include "tools/ctl/history_format.h"

#include <algorithm>

#include <fmt/format.h>

#include "tools/ctl/history_cmd.h"

namespace shoal::ctl {

std::string Cores(double millicores) { return fmt::format("{:.2f}", millicores / 1000.0); }
std::string Percent(double fraction) { return fmt::format("{:.0f}%", 100.0 * fraction); }

std::string SpanText(int64_t ms) {
  if (ms % 86'400'000 == 0) return fmt::format("{}d", ms / 86'400'000);
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string AnswerHeader(const daemon::control::HistoryAnswer& a) {
  std::string out = fmt::format("{} to {} UTC, every {} (from {} rows)\n", FormatTime(a.from_ms()),
                                FormatTime(a.to_ms()), SpanText(a.step_ms()), a.level());
  for (const auto& s : a.sources()) out += fmt::format("note: {} (a replica; the node is not answering)\n", s);
  for (const auto& f : a.failures()) out += fmt::format("warning: no answer from {}\n", f);
  return out;
}

std::vector<TimeSpan> Runs(const std::vector<const daemon::control::HistoryPoint*>& points, int64_t step,
                           const std::function<bool(const daemon::control::HistoryPoint&)>& in) {
  std::vector<TimeSpan> out;
  for (const auto* p : points) {
    if (!in(*p)) continue;
    if (out.empty() || out.back().to_ms != p->time_ms()) out.push_back({p->time_ms(), p->time_ms()});
    out.back().to_ms = p->time_ms() + step;
  }
  return out;
}

std::string SpanLine(const TimeSpan& s) { return fmt::format("{} - {}", FormatTime(s.from_ms), FormatTime(s.to_ms)); }

Tenths ByTenths(const std::vector<double>& values) {
  Tenths counts{};
  for (double v : values) counts[std::clamp(static_cast<int>(v * 10), 0, 9)]++;
  return counts;
}

std::string HistogramText(const Tenths& counts, const std::string& indent) {
  const uint32_t most = *std::max_element(counts.begin(), counts.end());
  if (most == 0) return "";
  std::string out;
  for (int i = 0; i < 10; ++i) {
    const uint32_t bar = (counts[i] * 40 + most - 1) / most;
    out += fmt::format("{}{:>3}-{:<4} {:>5}  {}\n", indent, i * 10, i == 9 ? "+" : std::to_string(i * 10 + 10) + "%",
                       counts[i], std::string(bar, '#'));
  }
  return out;
}

}  // namespace shoal::ctl
