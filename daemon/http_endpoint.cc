#include "daemon/http_endpoint.h"

#include <spdlog/spdlog.h>

#include "daemon/secret_file.h"
#include "daemon/web_page.h"

namespace shoal::daemon {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

}  // namespace

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Open(boost::asio::io_context& io, const Endpoint& at,
                                                         bool require_token, MetricsSources sources,
                                                         std::unique_ptr<WebApi> web) {
  auto m = std::unique_ptr<HttpEndpoint>(new HttpEndpoint(require_token, sources, std::move(web)));
  auto server = HttpServer::Open(
      io, at, [e = m.get()](const HttpRequest& r, HttpServer::Reply reply) { e->Handle(r, std::move(reply)); });
  if (!server.ok()) return server.error();
  m->server_ = std::move(*server);
  spdlog::info("HTTP on {}: /metrics{}, /health{}", m->local_endpoint().ToString(),
               require_token ? " (with a token)" : "", m->web_ ? ", the web view at /" : "");
  return m;
}

void HttpEndpoint::ReloadTokens(const std::string& tokens_file) {
  if (!require_token_) return;
  auto tokens = LoadGuardedTokens(tokens_file);
  if (!tokens.ok()) spdlog::warn("HTTP /metrics and /api refuse every request: {}", tokens.error().message);
  tokens_ = tokens.ok() ? std::optional<Tokens>(std::move(*tokens)) : std::nullopt;
}

bool HttpEndpoint::Authorized(const std::string& authorization) const {
  if (!require_token_) return true;
  constexpr std::string_view kBearer = "Bearer ";
  return authorization.starts_with(kBearer) && tokens_ && tokens_->Check(authorization.substr(kBearer.size()));
}

void HttpEndpoint::Handle(const HttpRequest& r, HttpServer::Reply reply) {
  if (r.path == "/health") return reply(HttpAnswer{200, kText, "ok\n"});
  const bool api = web_ && r.path.starts_with("/api/");
  if (web_ && (r.path == "/" || r.path == "/index.html")) {
    return reply(HttpAnswer{200, "text/html; charset=utf-8", std::string(WebPage())});
  }
  if (r.path != "/metrics" && !api) {
    return reply(HttpAnswer{404, kText, "not found: try /, /metrics or /health\n"});
  }
  if (!Authorized(r.authorization)) {
    return reply(HttpAnswer{401, kText, "a read token is required: Authorization: Bearer TOKEN\n"});
  }
  if (api) return web_->Handle(r, std::move(reply));
  reply(HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(sources_)});
}

}  // namespace shoal::daemon
