// shoalctl's side of signed admin actions (gossip/admin_auth.h): the exact
// request every node applies, signed with the admin's secret key.
#pragma once

#include <string>

#include "control.pb.h"
#include "core/result.h"
#include "tools/ctl/control_client.h"

namespace shoal::ctl {

// Signs the admin command `request` holds with the key in `key_file`: a
// history deletion or archive always (as every node's history service
// applies it), a policy push or mode switch when `sign_policies` (a mode
// switch becomes a push of `target`'s active document with the new mode).
// Other commands are left as they are. Errors say how to get a key.
Status SignAdminRequest(daemon::control::Request& request, const ControlTarget& target, const std::string& key_file,
                        bool sign_policies, int64_t now_ms);
// Whether the key file exists (shoalctl signs pushes and mode switches with
// the default key only if it does; the daemon decides whether it takes an
// unsigned one).
bool AdminKeyGiven(const std::string& key_file);

}  // namespace shoal::ctl
