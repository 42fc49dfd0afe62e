// Reading one key of shoald's TOML configuration, with an error that names
// the file, the line and the key (daemon/config.h, daemon/pipe_config.h).
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "core/result.h"

namespace shoal::daemon {

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
