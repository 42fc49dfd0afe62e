#include "tools/ctl/admin_sign.h"

#include <unistd.h>

#include <algorithm>

#include "core/node_id.h"
#include "gossip/admin_auth.h"
#include "daemon/control/keyring_action.h"
#include "history.pb.h"
#include "policy/parser.h"
#include "policy/writer.h"

namespace shoal::ctl {
namespace {

Result<std::string> Sign(const std::string& key_file, std::string_view kind, const std::string& action,
                         int64_t now_ms) {
  auto signer = gossip::AdminSigner::Load(key_file);
  if (!signer.ok()) {
    return MakeError("{}: admin actions are signed by an admin key (make a pair with shoald "
                     "--generate-admin-key FILE, put the public key in every node's admin keys file, and give "
                     "shoalctl --admin-key FILE)",
                     signer.error().message);
  }
  return signer->Sign(kind, action, now_ms);
}

Result<std::string> SignHistoryAction(const std::string& key_file, const daemon::control::HistoryDelete& d,
                                      int64_t now_ms) {
  store::wire::Delete w;
  if (!d.node().empty()) w.set_origin(NodeId::FromName(d.node()).value);
  w.set_app(d.app());
  w.set_before_ms(std::max<int64_t>(0, d.before_ms()));
  return Sign(key_file, "history-delete", w.SerializeAsString(), now_ms);
}

Result<std::string> SignHistoryAction(const std::string& key_file, const daemon::control::HistoryArchive& a,
                                      int64_t now_ms) {
  store::wire::ArchiveRequest w;
  w.set_before_ms(a.before_ms());
  return Sign(key_file, "history-archive", w.SerializeAsString(), now_ms);
}

// The document `target` runs, rewritten with the mode switched.
Result<std::string> ActiveWithMode(const ControlTarget& target, bool enforce) {
  daemon::control::Request show;
  show.mutable_policy_show();
  ControlTarget reader = target;
  auto active = CallControl(reader, show);
  if (!active.ok()) return active.error();
  auto parsed = policy::ParsePolicy(active->policy().text());
  if (!parsed.ok()) return MakeError("the active policy does not parse here: {}", parsed.errors.front().message);
  parsed.document.mode = enforce ? policy::Mode::kEnforce : policy::Mode::kMonitor;
  return policy::WritePolicy(parsed.document);
}

}  // namespace

bool AdminKeyGiven(const std::string& key_file) { return ::access(key_file.c_str(), F_OK) == 0; }

Status SignAdminRequest(daemon::control::Request& request, const ControlTarget& target, const std::string& key_file,
                        bool sign_policies, int64_t now_ms) {
  if (request.has_mode() && sign_policies) {
    // A pool with admin keys takes only signed documents.
    auto changed = ActiveWithMode(target, request.mode().enforce());
    if (!changed.ok()) return changed.error();
    request.mutable_policy_push()->set_text(std::move(*changed));  // replaces the mode command
  }
  Result<std::string> signed_action = std::string();
  if (request.has_policy_push() && sign_policies) {
    signed_action = Sign(key_file, "policy", request.policy_push().text(), now_ms);
  } else if (request.has_keyring() && request.keyring().action() != "list" && sign_policies) {
    signed_action = Sign(key_file, "keyring", daemon::control::KeyringActionText(request.keyring()), now_ms);
  } else if (request.has_history_delete()) {
    signed_action = SignHistoryAction(key_file, request.history_delete(), now_ms);
  } else if (request.has_history_archive()) {
    signed_action = SignHistoryAction(key_file, request.history_archive(), now_ms);
  } else {
    return Status::Ok();
  }
  if (!signed_action.ok()) return signed_action.error();
  request.set_signed_action(std::move(*signed_action));
  return Status::Ok();
}

}  // namespace shoal::ctl
