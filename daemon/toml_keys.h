// Reading one key of shoald's TOML configuration, with an error that names
// the file, the line and the key (daemon/config.h, daemon/pipe_config.h).
// Free functions; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "core/result.h"

namespace shoal::daemon {

// Every error of one configuration, in the order found, so that a single
// run (shoald --check-config) names them all instead of the first.
class ConfigErrors {
 public:
  void Add(const Status& s) {
    if (!s.ok()) lines_.push_back(s.error().message);
  }
  void Add(std::string line) { lines_.push_back(std::move(line)); }
  bool empty() const { return lines_.empty(); }
  // In the file's line order ("PATH:LINE: ..." first by LINE; others after).
  void SortByLine(const std::string& path) {
    auto line = [&](const std::string& l) -> long {
      if (!l.starts_with(path + ":")) return std::numeric_limits<long>::max();
      return std::strtol(l.c_str() + path.size() + 1, nullptr, 10);
    };
    std::stable_sort(lines_.begin(), lines_.end(),
                     [&](const std::string& a, const std::string& b) { return line(a) < line(b); });
  }
  const std::vector<std::string>& lines() const { return lines_; }
  // Ok, or one error whose message holds a line per error.
  Status ToStatus() const {
    if (lines_.empty()) return Status::Ok();
    std::string all;
    for (const auto& l : lines_) all += (all.empty() ? "" : "\n") + l;
    return MakeError("{}", all);
  }

 private:
  std::vector<std::string> lines_;
};

inline std::string Where(const std::string& path, const toml::node& n, std::string_view key) {
  return fmt::format("{}:{}: '{}'", path, n.source().begin.line, key);
}

template <typename T>
Status ReadInt(const std::string& path, const toml::node& n, std::string_view key, int64_t lo, int64_t hi, T& out) {
  auto v = n.value<int64_t>();
  if (!n.is_integer() || !v || *v < lo || *v > hi) {
    return MakeError("{} must be an integer in {}..{}", Where(path, n, key), lo, hi);
  }
  out = static_cast<T>(*v);
  return Status::Ok();
}

inline Status ReadString(const std::string& path, const toml::node& n, std::string_view key, std::string& out) {
  if (!n.is_string()) return MakeError("{} must be a string", Where(path, n, key));
  out = *n.value<std::string>();
  return Status::Ok();
}

}  // namespace shoal::daemon
