// The web view's data (daemon/web/index.html): GET /api/NAME answered
// with the control API's own answers (daemon/control_api.h), as JSON in
// Protocol Buffers' mapping with control.proto's field names (64-bit
// integers as strings). Read-only requests only:
//   /api/status  /api/nodes  /api/apps  /api/pipes  /api/policy
//   /api/app?name=NAME (its instances node by node, as `shoalctl app`)
//   /api/events?since=SECONDS&limit=N
//   /api/history?what=app|pool|pipe&name=NAME&since=SECONDS&step=SECONDS
// Query values are untrusted: names are checked, numbers bounded, and a
// bad one is refused with 400 and what is wrong. Use from the io_context's
// thread.
#pragma once

#include "core/clock.h"
#include "daemon/control_api.h"
#include "daemon/http_server.h"

namespace shoal::daemon {

// The control request for GET `path` ("/api/NAME") with `query`, or why
// it is refused (the decoder of untrusted input; fuzzed).
Result<control::Request> ParseWebRequest(const std::string& path, const std::string& query, int64_t now_ms);

class WebApi {
 public:
  // References outlive the WebApi.
  WebApi(ControlApi& api, const WallClock& wall) : api_(api), wall_(wall) {}
  void Handle(const HttpRequest& request, HttpServer::Reply reply);

 private:
  ControlApi& api_;
  const WallClock& wall_;
};

}  // namespace shoal::daemon
