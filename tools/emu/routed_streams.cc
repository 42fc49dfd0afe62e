#include "tools/emu/routed_streams.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace shoal::emu {
namespace asio = boost::asio;

// A call in process: answered once, by the peer's handler or the timeout.
struct RoutedStreams::LocalCall {
  LocalCall(asio::io_context& io, Reply r) : reply(std::move(r)), timer(io) {}
  void Finish(Result<std::string> result) {
    if (done) return;
    done = true;
    timer.cancel();
    reply(std::move(result));
  }
  bool done = false;
  Reply reply;
  asio::steady_timer timer;
};

RoutedStreams::RoutedStreams(asio::io_context& io, LocalRoutes& routes, gossip::StreamPeer self,
                             std::unique_ptr<gossip::TcpStreams> tcp)
    : io_(io), routes_(routes), self_(self), tcp_(std::move(tcp)) {
  routes_.Add(self_.endpoint, this);
}

RoutedStreams::~RoutedStreams() {
  *alive_ = false;
  routes_.Remove(self_.endpoint);
}

void RoutedStreams::Serve(gossip::StreamService service, Handler handler) {
  handlers_[static_cast<uint32_t>(service)] = handler;
  tcp_->Serve(service, std::move(handler));
}

bool RoutedStreams::Connected(const Endpoint& peer) const {
  return routes_.Find(peer) != nullptr || tcp_->Connected(peer);
}

const gossip::StreamCounters& RoutedStreams::counters() const {
  sum_ = tcp_->counters();
  sum_.calls += local_.calls;
  sum_.call_failures += local_.call_failures;
  sum_.served += local_.served;
  return sum_;
}

void RoutedStreams::Call(const Endpoint& peer, gossip::StreamService service, std::string request,
                         Duration timeout, Reply reply) {
  RoutedStreams* to = routes_.Find(peer);
  if (to == nullptr) return tcp_->Call(peer, service, std::move(request), timeout, std::move(reply));
  ++local_.calls;
  auto call = std::make_shared<LocalCall>(io_, [this, alive = alive_, reply = std::move(reply)](Result<std::string> r) {
    if (!*alive) return;  // the caller is gone, and what it would call with it
    if (!r.ok()) ++local_.call_failures;
    reply(std::move(r));
  });
  if (auto s = gossip::CheckRequestSize(peer, request.size()); !s.ok()) return call->Finish(s.error());
  call->timer.expires_after(timeout);
  call->timer.async_wait([call, timeout](const boost::system::error_code& ec) {
    if (ec) return;
    call->Finish(MakeError("no answer within {} ms",
                           std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  });
  // The caller may be gone by the time the answer comes: only the
  // io_context (which outlives every peer) and the call are held.
  auto answered = [&io = io_, call, peer](Result<std::string> r) {
    if (!r.ok()) r = MakeError("{} answered: {}", peer.ToString(), r.error().message);
    asio::post(io, [call, r = std::move(r)]() mutable { call->Finish(std::move(r)); });
  };
  asio::post(io_, [to, alive = to->alive_, from = self_, service, request = std::move(request),
                   answered = std::move(answered)]() mutable {
    if (*alive) to->Handle(from, static_cast<uint32_t>(service), std::move(request), std::move(answered));
  });
}

void RoutedStreams::Handle(const gossip::StreamPeer& from, uint32_t service, std::string request, Respond respond) {
  auto it = handlers_.find(service);
  if (it == handlers_.end()) return respond(MakeError("no service {} here", service));
  ++local_.served;
  it->second(from, std::move(request), [respond = std::move(respond)](Result<std::string> r) {
    if (r.ok() && r->size() > gossip::kMaxStreamMessage) {
      r = MakeError("response of {} bytes is over the limit", r->size());
    }
    respond(std::move(r));
  });
}

}  // namespace shoal::emu
