#include "gossip/net/tcp_streams.h"

#include "gossip/net/tcp_connection.h"

namespace shoal::gossip {

Result<std::unique_ptr<TcpStreams>> TcpStreams::Open(asio::io_context& io, const Endpoint& bind,
                                                     const Keyring& ring, NodeId self) {
  return Open(io, bind, ring, self, Options{});
}

Result<std::unique_ptr<TcpStreams>> TcpStreams::Open(asio::io_context& io, const Endpoint& bind,
                                                     const Keyring& ring, NodeId self, Options options) {
  boost::system::error_code ec;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ToAsio<tcp::endpoint>(bind), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError("cannot listen for peer streams on TCP {}: {}", bind.ToString(), ec.message());
  auto s = std::unique_ptr<TcpStreams>(new TcpStreams(io, std::move(acceptor), ring, self, options));
  s->Accept();
  return s;
}

TcpStreams::TcpStreams(asio::io_context& io, tcp::acceptor acceptor, const Keyring& ring, NodeId self,
                       Options options)
    : io_(io), acceptor_(std::move(acceptor)), accept_retry_(io), ring_(ring), self_(self), options_(options) {
  local_ = FromAsio(acceptor_.local_endpoint());
}

TcpStreams::~TcpStreams() {
  *alive_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_retry_.cancel();
  // Fail outstanding calls now, while their owners still exist.
  auto out = outbound_;
  auto in = inbound_;
  for (auto& [e, c] : out) c->Close("shutting down", false);
  for (auto& c : in) c->Close("shutting down", false);
}

void TcpStreams::Accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& ec, tcp::socket socket) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (ec) return AcceptLater(ec);
    Admit(std::move(socket));
    Accept();
  });
}

void TcpStreams::Admit(tcp::socket socket) {
  boost::system::error_code ec;
  Endpoint peer = FromAsio(socket.remote_endpoint(ec));
  const auto [all, from_peer] = Handshaking(peer.ip);
  const bool crowded =
      all >= options_.handshakes_before_address_cap && from_peer >= options_.max_handshakes_per_address;
  if (!crowded && inbound_.size() >= options_.max_inbound) MakeRoom();
  if (inbound_.size() >= options_.max_inbound || crowded) {
    ++counters_.refused;
    LogRefusal(peer, crowded ? "too many handshakes from this address" : "too many inbound connections");
    socket.close(ec);
    return;
  }
  ++counters_.accepted;
  auto c = std::make_shared<Connection>(*this, std::move(socket), false, peer);
  inbound_.insert(c);
  c->Start();
}

// Accepting failed (out of descriptors or memory): the connection waits
// in the kernel's queue while this node retries a little later, rather
// than at once, which would fail again and spin.
void TcpStreams::AcceptLater(const boost::system::error_code& ec) {
  ++counters_.refused;
  LogWarning(fmt::format("peer streams on {} cannot accept a connection: {}", local_.ToString(), ec.message()));
  accept_retry_.expires_after(kAcceptRetry);
  accept_retry_.async_wait([this, alive = alive_](const boost::system::error_code& wait) {
    if (*alive && !wait) Accept();
  });
}

void TcpStreams::MakeRoom() {
  std::shared_ptr<Connection> oldest;
  for (const auto& c : inbound_) {
    if (c->idle() && (!oldest || c->last_active() < oldest->last_active())) oldest = c;
  }
  if (!oldest) return;
  ++counters_.evicted;
  oldest->Close("making room for a new connection", false);
}

std::pair<size_t, size_t> TcpStreams::Handshaking(uint32_t ip) const {
  size_t all = 0, from = 0;
  for (const auto& c : inbound_) {
    if (c->open()) continue;
    ++all;
    from += c->peer().ip == ip;
  }
  return {all, from};
}

void TcpStreams::LogRefusal(const Endpoint& peer, const std::string& why) {
  LogWarning(fmt::format("peer stream with {} refused: {}", peer.ToString(), why));
}

void TcpStreams::LogWarning(const std::string& text) {
  const auto held = refusal_log_.Allow(SteadyClock().Now());
  if (!held) return;
  spdlog::warn("{}{}", text,
               *held ? fmt::format(" ({} more refusals not logged in the last second)", *held) : std::string());
}

void TcpStreams::Closed(const std::shared_ptr<Connection>& c) {
  inbound_.erase(c);
  auto it = outbound_.find(c->peer());
  if (it != outbound_.end() && it->second == c) outbound_.erase(it);
}

void TcpStreams::Serve(StreamService service, Handler handler) {
  handlers_[static_cast<uint32_t>(service)] = std::move(handler);
}

void TcpStreams::Call(const Endpoint& peer, StreamService service, std::string request,
                      Duration timeout, Reply reply) {
  ++counters_.calls;
  if (auto s = CheckRequestSize(peer, request.size()); !s.ok()) {
    ++counters_.call_failures;
    return reply(s.error());
  }
  auto& c = outbound_[peer];
  if (!c) {
    c = std::make_shared<Connection>(*this, tcp::socket(io_), true, peer);
    c->Start();
  }
  c->AddCall(static_cast<uint32_t>(service), std::move(request), timeout, std::move(reply));
}

void TcpStreams::Dispatch(const std::shared_ptr<Connection>& c, uint64_t call_id, uint32_t service,
                          std::string request) {
  std::weak_ptr<Connection> weak = c;
  auto respond = [weak, call_id, service, alive = alive_, this](Result<std::string> response) {
    if (!*alive) return;
    if (response.ok() && response->size() > kMaxStreamMessage) {
      response = MakeError("response of {} bytes is over the limit", response->size());
    }
    if (auto conn = weak.lock()) {
      ++counters_.served;
      conn->Respond(call_id, service, response);
    }
  };
  auto it = handlers_.find(service);
  if (it == handlers_.end()) {
    c->Serving();
    return respond(MakeError("no service {} here", service));
  }
  c->Serving();
  it->second(StreamPeer{c->peer(), c->peer_id()}, std::move(request), std::move(respond));
}

}  // namespace shoal::gossip
