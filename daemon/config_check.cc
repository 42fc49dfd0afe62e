#include "daemon/config_check.h"

#include <unistd.h>

#include <filesystem>

#include "daemon/control/tokens.h"
#include "daemon/key_file.h"
#include "daemon/script_runner.h"
#include "daemon/secret_file.h"
#include "gossip/admin_auth.h"

namespace shoal::daemon {
namespace {

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

void CheckKeys(const DaemonConfig& c, ConfigCheck& out) {
  Status key = GuardSecretFile(c.key_file, "key file");
  if (key.ok()) {
    if (auto ring = LoadKeyFile(c.key_file); !ring.ok()) key = ring.error();
  }
  AddErrorLines(out.errors, key);
  const std::string& tokens = c.control.tokens_file;
  if (c.control.listen.port == 0) {
    // No control API: no tokens needed.
  } else if (!Exists(tokens)) {
    out.warnings.push_back(fmt::format("no tokens file {}: the control API will accept no token (create one with: "
                                       "shoald --add-token admin --tokens-file {})",
                                       tokens, tokens));
  } else if (auto t = LoadGuardedTokens(tokens); !t.ok()) {
    AddErrorLines(out.errors, Status(t.error()));
  }
  const std::string& admins = c.control.admin_keys_file;
  if (!Exists(admins)) {
    out.warnings.push_back(fmt::format("no admin keys file {}: this node will take policy pushes unsigned and no "
                                       "history deletion or archiving",
                                       admins));
  } else if (auto g = GuardSecretFile(admins, "admin keys file", FileTrust::kPublic); !g.ok()) {
    AddErrorLines(out.errors, g);
  } else if (auto k = gossip::AdminVerifier::LoadKeys(admins); !k.ok()) {
    AddErrorLines(out.errors, Status(k.error()));
  }
}

// The state directory must be writable, or creatable under a writable
// parent.
void CheckStateDir(const DaemonConfig& c, ConfigCheck& out) {
  std::filesystem::path dir = c.state_dir;
  while (!dir.empty() && !Exists(dir.string())) dir = dir.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    out.errors.push_back(fmt::format("state_dir {}: {} is not a directory", c.state_dir, dir.string()));
  } else if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    out.errors.push_back(fmt::format("state_dir {}: {} is not writable by this user", c.state_dir, dir.string()));
  }
}

}  // namespace

void AddErrorLines(std::vector<std::string>& to, const Status& s) {
  if (s.ok()) return;
  std::string_view rest = s.error().message;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    to.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
}

ConfigCheck CheckConfigFiles(const DaemonConfig& config) {
  ConfigCheck out;
  CheckKeys(config, out);
  CheckStateDir(config, out);
  if (!config.triggers.scripts_dir.empty()) {
    auto permit = ScriptPermit::Make(config.triggers.scripts_dir, config.triggers.scripts_user);
    if (!permit.ok()) AddErrorLines(out.errors, Status(permit.error()));
  }
  return out;
}

}  // namespace shoal::daemon
