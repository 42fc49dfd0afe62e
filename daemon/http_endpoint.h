// The HTTP endpoint as shoald wires it on [http] listen: GET /health
// ("ok", for load balancers and probes; never a token), /metrics
// (Prometheus text, daemon/metrics.h), / (the web view of the pool,
// daemon/web/index.html, built into the binary) and /api/... (its data,
// daemon/web_api.h); other paths 404. With require_token, /metrics and
// /api/ want "Authorization: Bearer TOKEN" (a read or admin token of the
// tokens file, reread by ReloadTokens on SIGHUP); the page itself is
// served without one and sends the token given in its address' fragment
// (http://node:9100/#token=TOKEN). Runs on the io_context's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "daemon/control/tokens.h"
#include "daemon/http_server.h"
#include "daemon/metrics.h"
#include "daemon/web_api.h"

namespace shoal::daemon {

class HttpEndpoint {
 public:
  // `web` may be null (no control API to answer from): no web view.
  static Result<std::unique_ptr<HttpEndpoint>> Open(boost::asio::io_context& io, const Endpoint& at,
                                                    bool require_token, MetricsSources sources,
                                                    std::unique_ptr<WebApi> web);
  void ReloadTokens(const std::string& tokens_file);
  Endpoint local_endpoint() const { return server_->local_endpoint(); }

 private:
  HttpEndpoint(bool require_token, MetricsSources sources, std::unique_ptr<WebApi> web)
      : require_token_(require_token), sources_(sources), web_(std::move(web)) {}
  void Handle(const HttpRequest& request, HttpServer::Reply reply);
  bool Authorized(const std::string& authorization) const;

  bool require_token_;
  MetricsSources sources_;
  std::unique_ptr<WebApi> web_;
  std::optional<Tokens> tokens_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace shoal::daemon
