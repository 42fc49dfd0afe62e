// Control API tokens. A tokens file holds one "ROLE TOKEN" per line; ROLE
// is "read" (questions only) or "admin" (also pushes policies and switches
// modes); TOKEN is 64 hex digits (32 random bytes). Blank lines and lines
// starting with '#' are ignored. Tokens are compared in constant time.
// shoald rereads the file on SIGHUP. Plain value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace shoal::daemon {

enum class Role { kRead, kAdmin };
const char* RoleName(Role role);

class Tokens {
 public:
  // Errors name the file and line.
  static Result<Tokens> Load(const std::string& path);
  static Result<Tokens> Parse(const std::string& text, const std::string& source);
  // The role a token grants, if any.
  std::optional<Role> Check(const std::string& token) const;
  size_t size() const { return entries_.size(); }
  // The token whose shared secret a sealed hello names by `id`
  // (daemon/control/seal.h), with its role.
  std::optional<std::pair<std::string, Role>> ById(uint32_t id) const;
  // The first token of `role` (admin satisfies read), for clients that read
  // the daemon's own tokens file.
  std::optional<std::string> First(Role role) const;

 private:
  struct Entry {
    Role role;
    std::string token;
  };
  std::vector<Entry> entries_;
};

// A fresh random token line "ROLE TOKEN\n"; `role` must be "read" or "admin".
Result<std::string> NewTokenLine(const std::string& role);

}  // namespace shoal::daemon
