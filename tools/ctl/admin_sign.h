// shoalctl's side of signed admin actions (gossip/admin_auth.h): the exact
// request every node applies, signed with the admin's secret key.
#pragma once

#include <string>

#include "control.pb.h"
#include "core/result.h"
#include "tools/ctl/control_client.h"

namespace shoal::ctl {

// A history deletion or archive as every node's history service applies
// it, signed with the key in `key_file`; errors say how to get a key.
Result<std::string> SignHistoryAction(const std::string& key_file, const daemon::control::HistoryDelete& d,
                                      int64_t now_ms);
Result<std::string> SignHistoryAction(const std::string& key_file, const daemon::control::HistoryArchive& a,
                                      int64_t now_ms);

// A policy document, signed (kind "policy").
Result<std::string> SignPolicy(const std::string& key_file, const std::string& text, int64_t now_ms);
// Whether the key file exists (shoalctl signs pushes and mode switches with
// the default key only if it does; the daemon decides whether it takes an
// unsigned one).
bool AdminKeyGiven(const std::string& key_file);
// The document `target` runs, rewritten with the mode switched.
Result<std::string> ActiveWithMode(const ControlTarget& target, bool enforce);

}  // namespace shoal::ctl
