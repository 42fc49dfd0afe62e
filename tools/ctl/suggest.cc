#include "tools/ctl/suggest.h"

#include <algorithm>

#include <fmt/format.h>

namespace shoal::ctl {
namespace {

size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> Closest(const std::string& word, const std::vector<std::string>& names) {
  std::optional<std::string> best;
  size_t best_distance = 3;
  std::vector<std::string> prefixed;
  for (const auto& n : names) {
    if (n.rfind(word, 0) == 0 && !word.empty()) prefixed.push_back(n);
    const size_t d = Distance(word, n);
    if (d < best_distance) best = n, best_distance = d;
  }
  if (best) return best;
  if (prefixed.size() == 1) return prefixed.front();
  return std::nullopt;
}

std::string UnknownCommand(const CLI::App& app) {
  const CLI::App* at = &app;
  std::string path = app.get_name();
  for (;;) {
    const auto parsed = at->get_subcommands();
    if (parsed.empty()) break;
    at = parsed.front();
    path += " " + at->get_name();
  }
  const auto subs = at->get_subcommands({});
  const auto left = at->remaining();
  if (subs.empty() || left.empty() || left.front().empty() || left.front()[0] == '-') return "";
  std::vector<std::string> names;
  for (const CLI::App* s : subs) names.push_back(s->get_name());
  std::string out = fmt::format("{}: unknown command '{}'", path, left.front());
  if (auto near = Closest(left.front(), names)) out += fmt::format("; did you mean '{} {}'?", path, *near);
  return out + fmt::format("\nRun '{} --help' for the commands.", path);
}

}  // namespace shoal::ctl
