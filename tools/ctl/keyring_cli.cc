// shoalctl keyring: the pool's gossip keys on every live node, listed and
// rotated without editing key files by hand (daemon/keyring_service.h).
// A rotation: install the new key, use it, remove the old one.
#include <sstream>

#include "core/text_lines.h"
#include "gossip/seal.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/json_input.h"

namespace shoal::ctl {
namespace {

using Request = daemon::control::Request;

// The first key of a key file (as shoald --generate-key writes it), or of
// standard input with "-".
Result<gossip::Key> ReadKey(const std::string& file) {
  auto text = ReadInputFile(file);
  if (!text) return text.error();
  std::istringstream in(*text);
  std::optional<Result<gossip::Key>> key;
  ForEachMeaningfulLine(in, [&](const std::string& line, int number) {
    if (key) return;
    key = gossip::Keyring::ParseKey(line);
    if (!key->ok()) key = MakeError("{}:{}: {}", file, number, key->error().message);
  });
  if (!key) return MakeError("{} holds no key (make one with: shoald --generate-key FILE)", file);
  return *key;
}

Result<uint32_t> KeyId(const std::string& text) {
  std::string hex = text.starts_with("0x") ? text.substr(2) : text;
  if (hex.empty() || hex.size() > 8 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return MakeError("'{}' is not a key id: give the 8 hex digits keyring list shows", text);
  }
  return static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
}

struct KeyringArgs {
  std::string file, id;
};

Result<Request> Change(const std::string& action, const KeyringArgs& a) {
  Request r;
  auto* k = r.mutable_keyring();
  k->set_action(action);
  if (action == "install") {
    auto key = ReadKey(a.file);
    if (!key.ok()) return key.error();
    k->set_key(std::string(key->begin(), key->end()));
    k->set_key_id(gossip::Keyring::IdOf(*key));
  } else if (action != "list") {
    auto id = KeyId(a.id);
    if (!id.ok()) return id.error();
    k->set_key_id(*id);
  }
  return r;
}

}  // namespace

void AddKeyringCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<KeyringArgs>();
  auto* keyring = app.add_subcommand(
      "keyring",
      "The pool's gossip keys on every live node: list them, and rotate them without editing key\n"
      "files by hand (install the new key everywhere, make it the primary, remove the old one).\n"
      "Each node rewrites its key file, so a restart keeps the change; a node down meanwhile keeps\n"
      "its old file. Changes need an admin token and are signed with the admin key.");
  keyring->require_subcommand(1);
  Examples(keyring,
           "  shoald --generate-key new.key && shoalctl keyring install new.key\n"
           "  shoalctl keyring use 1a2b3c4d\n"
           "  shoalctl keyring remove 9f8e7d6c\n"
           "  shoalctl keyring list");
  struct Action {
    const char* name;
    const char* help;
    const char* arg;
    const char* arg_help;
  };
  static const Action kActions[] = {
      {"list", "Every key and how many live nodes hold it and use it as their primary.", nullptr, nullptr},
      {"install", "Add a key to every live node (it is accepted at once, not yet used to send).", "FILE",
       "a key file (shoald --generate-key FILE): its first key; - for standard input"},
      {"use", "Make a key every live node holds the primary: the one packets are sealed with.", "ID",
       "the key's id, 8 hex digits as keyring list shows"},
      {"remove", "Remove a key from every live node (never a node's primary).", "ID",
       "the key's id, 8 hex digits as keyring list shows"}};
  for (const Action& x : kActions) {
    auto* c = keyring->add_subcommand(x.name, x.help);
    const bool install = std::string(x.name) == "install";
    if (x.arg) c->add_option(x.arg, install ? a->file : a->id, x.arg_help)->required();
    const bool admin = std::string(x.name) != "list";
    if (admin) pool->AddAdminKey(c);
    pool->Add(c, true);
    Sends(c, pool, run, admin, [a, action = std::string(x.name)](int64_t) { return Change(action, *a); });
  }
}

}  // namespace shoal::ctl
