// shoald's HTTP listener ([http] listen; off by default), on the daemon's
// io_context with Boost.Beast; what it serves is daemon/http_endpoint.h. Requests are
// untrusted: at most 64 connections, 8 KiB of headers, no body, 5 s to
// send the request; one request per connection; the handler may answer
// later (once peers answered). Runs on the io_context's thread.
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

struct HttpRequest {
  std::string path;           // without the query
  std::string query;          // after '?', as sent
  std::string authorization;  // the header, if any
};

class HttpServer {
 public:
  // Answers one request; call exactly once, now or later.
  using Reply = std::function<void(HttpAnswer)>;
  // Called for each GET.
  using Handler = std::function<void(const HttpRequest& request, Reply reply)>;

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
