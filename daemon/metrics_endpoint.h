// The HTTP endpoint as shoald wires it: GET /health and GET /metrics
// (daemon/metrics.h) on [http] listen, other paths 404. With
// require_token, /metrics wants "Authorization: Bearer TOKEN" (a read or
// admin token of the tokens file, reread by ReloadTokens on SIGHUP);
// /health never does (load balancers and probes). Runs on the
// io_context's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "daemon/control/tokens.h"
#include "daemon/http_server.h"
#include "daemon/metrics.h"

namespace shoal::daemon {

class MetricsEndpoint {
 public:
  static Result<std::unique_ptr<MetricsEndpoint>> Open(boost::asio::io_context& io, const Endpoint& at,
                                                       bool require_token, MetricsSources sources);
  void ReloadTokens(const std::string& tokens_file);
  Endpoint local_endpoint() const { return server_->local_endpoint(); }

 private:
  MetricsEndpoint(bool require_token, MetricsSources sources) : require_token_(require_token), sources_(sources) {}
  HttpAnswer Handle(const std::string& path, const std::string& authorization);

  bool require_token_;
  MetricsSources sources_;
  std::optional<Tokens> tokens_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace shoal::daemon
