// shoald's HTTP listener ([http] listen; off by default): GET /metrics
// (Prometheus text, daemon/metrics.h) and GET /health ("ok" once the
// daemon runs), on the daemon's io_context with Boost.Beast. Requests are
// untrusted: at most 64 connections, 8 KiB of headers, no body, 5 s to
// send the request; one request per connection. With require_token, a
// request must carry "Authorization: Bearer TOKEN" with a read or admin
// token of the control API's tokens file. Runs on the io_context's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/endpoint.h"
#include "core/result.h"

namespace shoal::daemon {

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // Called for each GET with the path and the Authorization header.
  using Handler = std::function<HttpAnswer(const std::string& path, const std::string& authorization)>;

  static Result<std::unique_ptr<HttpServer>> Open(boost::asio::io_context& io, const Endpoint& at, Handler handler);
  ~HttpServer();

  Endpoint local_endpoint() const;
  uint64_t refused() const;  // connections or requests turned away

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace shoal::daemon
