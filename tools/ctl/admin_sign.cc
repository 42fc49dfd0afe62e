#include "tools/ctl/admin_sign.h"

#include <unistd.h>

#include <algorithm>

#include "core/node_id.h"
#include "gossip/admin_auth.h"
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

}  // namespace

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

Result<std::string> SignPolicy(const std::string& key_file, const std::string& text, int64_t now_ms) {
  return Sign(key_file, "policy", text, now_ms);
}

bool AdminKeyGiven(const std::string& key_file) { return ::access(key_file.c_str(), F_OK) == 0; }

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

}  // namespace shoal::ctl
