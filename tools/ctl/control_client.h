// One control API request from shoalctl to a shoald (see
// daemon/control/control.proto), with the token read from the command line, the
// environment or a tokens file. Errors say what failed and where: the
// connection, the timeout, the daemon's own refusal.
#pragma once

#include <functional>
#include <string>

#include "control.pb.h"
#include "core/clock.h"
#include "core/endpoint.h"
#include "core/result.h"

namespace shoal::ctl {

struct ControlTarget {
  Endpoint node{0x7f000001, 7947};
  std::string token;       // 64 hex digits; empty: from token_file
  std::string token_file;  // a tokens file ("ROLE TOKEN" lines) or a file holding just the token
  bool want_admin = false; // take an admin token from a tokens file
  Duration timeout = std::chrono::seconds(5);
  // Seal the connection under the token (daemon/control/seal.h): needed
  // for a daemon on another host; shoalctl sets it unless --node is
  // loopback.
  bool sealed = false;
};

// The token to send: target.token, else $SHOAL_TOKEN, else the file.
Result<std::string> ResolveToken(const ControlTarget& target);

// Called with the daemon's progress reports on a long request.
using ProgressFn = std::function<void(uint32_t done, uint32_t total)>;

// Sends `request` (the token is filled in) and returns the final response;
// a response carrying an error becomes an Error.
Result<daemon::control::Response> CallControl(const ControlTarget& target, daemon::control::Request request,
                                              const ProgressFn& on_progress = nullptr);

}  // namespace shoal::ctl
