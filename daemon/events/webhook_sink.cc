#include "daemon/events/webhook_sink.h"

#include <algorithm>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "core/log_limit.h"
#include "daemon/control/event_format.h"

namespace shoal::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct WebhookSink::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, WebhookConfig c)
      : config(std::move(c)), url(*ParseHttpUrl(config.url)), resolver(io), stream(io), timer(io) {}

  WebhookConfig config;
  HttpUrl url;
  tcp::resolver resolver;
  beast::tcp_stream stream;
  asio::steady_timer timer;
  std::deque<std::string> queue;  // JSON bodies
  bool busy = false;              // a POST or a back-off is under way
  bool closed = false;
  int attempts = 0;               // of the front event
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  SinkCounters counters;
  LogLimit log_limit{std::chrono::seconds(10)};

  void Next() {
    if (busy || closed || queue.empty()) return;
    busy = true;
    request = {http::verb::post, url.target, 11};
    request.set(http::field::host, url.host);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "shoald");
    request.set(http::field::connection, "close");
    request.body() = queue.front();
    request.prepare_payload();
    stream.expires_after(std::chrono::milliseconds(config.timeout_ms));
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                             if (ec) return self->Failed("resolve", ec.message());
                             self->stream.async_connect(results, [self](beast::error_code cec, const tcp::endpoint&) {
                               if (cec) return self->Failed("connect", cec.message());
                               self->Write();
                             });
                           });
  }

  void Write() {
    http::async_write(stream, request, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Failed("send", ec.message());
      self->response = {};
      self->buffer.clear();
      http::async_read(self->stream, self->buffer, self->response, [self](beast::error_code rec, size_t) {
        if (rec) return self->Failed("answer", rec.message());
        const unsigned status = self->response.result_int();
        if (status / 100 != 2) return self->Failed("answer", fmt::format("HTTP status {}", status));
        self->Delivered();
      });
    });
  }

  void Reset() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  void Delivered() {
    Reset();
    ++counters.delivered;
    queue.pop_front();
    attempts = 0;
    busy = false;
    Next();
  }

  void Failed(const char* step, const std::string& why) {
    Reset();
    if (closed) return;
    ++counters.failures;
    if (auto held = log_limit.Allow(std::chrono::steady_clock::now())) {
      spdlog::warn("webhook {}: {} failed: {} ({} more failure(s) not logged)", config.url, step, why, *held);
    }
    if (++attempts > config.retries) {
      ++counters.dropped;
      queue.pop_front();
      attempts = 0;
    }
    // Back off even after a drop, so that a dead endpoint is not hammered.
    const int shift = std::clamp(attempts - 1, 0, 5);
    timer.expires_after(std::min(std::chrono::milliseconds(1000 << shift), std::chrono::milliseconds(30000)));
    timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed) return;
      self->busy = false;
      self->Next();
    });
  }
};

WebhookSink::WebhookSink(asio::io_context& io, WebhookConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(config))) {}

WebhookSink::~WebhookSink() {
  impl_->closed = true;
  impl_->resolver.cancel();
  impl_->timer.cancel();
  impl_->Reset();
}

std::string WebhookSink::name() const { return "webhook " + impl_->config.url; }

void WebhookSink::Offer(const control::Event& e) {
  if (!impl_->config.filter.Passes(e)) return;
  if (impl_->queue.size() >= static_cast<size_t>(impl_->config.queue)) {
    ++impl_->counters.dropped;
    return;
  }
  impl_->queue.push_back(control::EventJson(e));
  impl_->Next();
}

SinkCounters WebhookSink::counters() const {
  SinkCounters c = impl_->counters;
  c.queued = impl_->queue.size();
  return c;
}

}  // namespace shoal::daemon
