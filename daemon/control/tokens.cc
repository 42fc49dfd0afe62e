#include "daemon/control/tokens.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "daemon/control/seal.h"
#include "core/text_lines.h"

namespace shoal::daemon {

const char* RoleName(Role role) { return role == Role::kAdmin ? "admin" : "read"; }

namespace {

bool IsToken(const std::string& t) {
  return t.size() == 64 && t.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

Result<Tokens> Tokens::Parse(const std::string& text, const std::string& source) {
  Tokens out;
  std::istringstream in(text);
  std::optional<Error> bad;
  ForEachMeaningfulLine(in, [&](const std::string& line, int number) {
    std::istringstream words(line);
    std::string role, token, extra;
    words >> role >> token;
    if (words >> extra || (role != "read" && role != "admin") || !IsToken(token)) {
      if (!bad) {
        bad = MakeError("{}:{}: expected \"read TOKEN\" or \"admin TOKEN\" with 64 lower-case hex digits "
                        "(create one with: shoald --generate-token admin)",
                        source, number);
      }
      return;
    }
    out.entries_.push_back({role == "admin" ? Role::kAdmin : Role::kRead, token});
  });
  if (bad) return *bad;
  return out;
}

Result<Tokens> Tokens::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError("cannot read tokens file {}: {}", path, std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return Parse(s.str(), path);
}

std::optional<Role> Tokens::Check(const std::string& token) const {
  std::optional<Role> found;
  if (token.size() != 64) return found;
  for (const auto& e : entries_) {
    // Every entry is compared, in constant time, whatever matched before.
    if (sodium_memcmp(e.token.data(), token.data(), 64) == 0 && (!found || e.role == Role::kAdmin)) found = e.role;
  }
  return found;
}

std::optional<std::pair<std::string, Role>> Tokens::ById(uint32_t id) const {
  for (const auto& e : entries_) {
    auto secret = TokenSecret(e.token);
    if (secret.ok() && TokenId(*secret) == id) return std::make_pair(e.token, e.role);
  }
  return std::nullopt;
}

std::optional<std::string> Tokens::First(Role role) const {
  for (const auto& e : entries_) {
    if (e.role == role) return e.token;
  }
  if (role == Role::kRead) return First(Role::kAdmin);
  return std::nullopt;
}

Result<std::string> NewTokenLine(const std::string& role) {
  if (role != "read" && role != "admin") return MakeError("token role '{}' is not read or admin", role);
  if (sodium_init() < 0) return MakeError("libsodium cannot start");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return role + " " + hex + "\n";
}

}  // namespace shoal::daemon
