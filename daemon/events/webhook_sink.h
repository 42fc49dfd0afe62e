// Events to an HTTP endpoint: each one POSTed as a JSON object
// (Content-Type application/json, control/event_format.h), in order, one
// at a time, on the daemon's io_context with Boost.Beast. An answer 2xx
// delivers it; anything else (refused, timed out after timeout_ms, another
// status) is retried after 1, 2, 4 ... up to 30 seconds, `retries` times,
// then dropped and counted. At most `queue` events wait; beyond that new
// ones are dropped and counted. A slow or dead endpoint therefore costs
// the daemon a bounded queue and one connection, never its tick.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "daemon/events/event_config.h"
#include "daemon/events/sink.h"

namespace shoal::daemon {

class WebhookSink final : public EventSink {
 public:
  // The configuration's URL must parse (ParseHttpUrl).
  WebhookSink(boost::asio::io_context& io, WebhookConfig config);
  ~WebhookSink() override;

  std::string name() const override;
  std::string kind() const override { return "webhook"; }
  void Offer(const control::Event& e) override;
  SinkCounters counters() const override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace shoal::daemon
