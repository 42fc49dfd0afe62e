#include "daemon/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace shoal::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxConnections = 64;
constexpr size_t kMaxHeaderBytes = 8 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(5);

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, Handler h) : acceptor(io), handler(std::move(h)) {}
  tcp::acceptor acceptor;
  Handler handler;
  size_t open = 0;
  uint64_t refused = 0;
  bool closed = false;

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (self->closed) return;
      if (!ec) {
        if (self->open >= kMaxConnections) {
          ++self->refused;  // dropped at once: the socket closes here
        } else {
          Serve(self, std::move(socket));
        }
      }
      self->Accept();
    });
  }

  struct Session {
    explicit Session(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer{kMaxHeaderBytes};
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> response;
  };

  static void Serve(const std::shared_ptr<Impl>& self, tcp::socket socket) {
    ++self->open;
    auto s = std::make_shared<Session>(std::move(socket));
    s->parser.header_limit(kMaxHeaderBytes);
    s->parser.body_limit(0);
    s->stream.expires_after(kRequestTimeout);
    http::async_read(s->stream, s->buffer, s->parser, [self, s](beast::error_code ec, size_t) {
      if (ec) {
        ++self->refused;
        return self->Done(s);
      }
      self->Answer(s);
    });
  }

  void Answer(const std::shared_ptr<Session>& s) {
    const auto& req = s->parser.get();
    if (req.method() != http::verb::get) return Write(s, HttpAnswer{405, "text/plain; charset=utf-8", "only GET\n"});
    const std::string target(req.target());
    const size_t q = target.find('?');
    HttpRequest r{target.substr(0, q), q == std::string::npos ? "" : target.substr(q + 1),
                  std::string(req[http::field::authorization])};
    handler(r, [self = shared_from_this(), s](HttpAnswer a) { self->Write(s, std::move(a)); });
  }

  void Write(const std::shared_ptr<Session>& s, HttpAnswer a) {
    s->response.version(11);
    s->response.result(a.status);
    s->response.set(http::field::content_type, a.content_type);
    s->response.set(http::field::connection, "close");
    s->response.set(http::field::cache_control, "no-store");
    s->response.body() = std::move(a.body);
    s->response.prepare_payload();
    s->stream.expires_after(kRequestTimeout);
    http::async_write(s->stream, s->response, [self = shared_from_this(), s](beast::error_code, size_t) {
      self->Done(s);
    });
  }

  void Done(const std::shared_ptr<Session>& s) {
    beast::error_code ignored;
    s->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    s->stream.close();
    --open;
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Open(asio::io_context& io, const Endpoint& at, Handler handler) {
  auto impl = std::make_shared<Impl>(io, std::move(handler));
  beast::error_code ec;
  const tcp::endpoint ep(asio::ip::address_v4(at.ip), at.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError("http.listen {}: {}", at.ToString(), ec.message());
  impl->Accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  impl_->closed = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

Endpoint HttpServer::local_endpoint() const {
  beast::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return Endpoint{ep.address().to_v4().to_uint(), ep.port()};
}

uint64_t HttpServer::refused() const { return impl_->refused; }

}  // namespace shoal::daemon
