#include "daemon/metrics_endpoint.h"

#include <spdlog/spdlog.h>

#include "daemon/secret_file.h"

namespace shoal::daemon {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Open(boost::asio::io_context& io, const Endpoint& at,
                                                               bool require_token, MetricsSources sources) {
  auto m = std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(require_token, sources));
  auto server = HttpServer::Open(io, at, [e = m.get()](const std::string& path, const std::string& auth) {
    return e->Handle(path, auth);
  });
  if (!server.ok()) return server.error();
  m->server_ = std::move(*server);
  spdlog::info("HTTP on {}: /metrics{}, /health", m->local_endpoint().ToString(),
               require_token ? " (with a token)" : "");
  return m;
}

void MetricsEndpoint::ReloadTokens(const std::string& tokens_file) {
  if (!require_token_) return;
  auto tokens = LoadGuardedTokens(tokens_file);
  if (!tokens.ok()) spdlog::warn("HTTP /metrics refuses every request: {}", tokens.error().message);
  tokens_ = tokens.ok() ? std::optional<Tokens>(std::move(*tokens)) : std::nullopt;
}

HttpAnswer MetricsEndpoint::Handle(const std::string& path, const std::string& authorization) {
  if (path == "/health") return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"};
  if (path != "/metrics") return HttpAnswer{404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n"};
  if (require_token_) {
    constexpr std::string_view kBearer = "Bearer ";
    const bool bearer = authorization.starts_with(kBearer);
    if (!bearer || !tokens_ || !tokens_->Check(authorization.substr(kBearer.size()))) {
      return HttpAnswer{401, "text/plain; charset=utf-8", "a read token is required: Authorization: Bearer TOKEN\n"};
    }
  }
  return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(sources_)};
}

}  // namespace shoal::daemon
