#include "gossip/udp_transport.h"

#include "gossip/asio_endpoint.h"

#include <boost/asio/ip/address_v4.hpp>

namespace shoal::gossip {
namespace asio = boost::asio;
using asio::ip::udp;

Result<std::unique_ptr<UdpTransport>> UdpTransport::Open(asio::io_context& io,
                                                         const Endpoint& bind, Mode mode) {
  boost::system::error_code ec;
  udp::socket socket(io);
  socket.open(udp::v4(), ec);
  if (!ec) socket.bind(ToAsio<udp::endpoint>(bind), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  if (ec) {
    return MakeError("cannot open UDP socket on {}: {}", bind.ToString(), ec.message());
  }
  auto t = std::unique_ptr<UdpTransport>(new UdpTransport(std::move(socket)));
  if (mode == Mode::kAsync) t->StartReceive();
  return t;
}

UdpTransport::UdpTransport(udp::socket socket) : socket_(std::move(socket)) {
  const udp::endpoint local = socket_.local_endpoint();
  local_ = Endpoint{local.address().to_v4().to_uint(), local.port()};
}

UdpTransport::~UdpTransport() {
  *alive_ = false;
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpTransport::Send(const Endpoint& to, std::span<const uint8_t> datagram) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), ToAsio<udp::endpoint>(to), 0, ec);
  if (ec) ++send_errors_;
}

void UdpTransport::StartReceive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), from_,
      [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
        if (!*alive || ec == asio::error::operation_aborted) return;
        if (!ec) Deliver(n);
        // Drain what else is queued before going back to the reactor: one
        // wake-up for a burst instead of one per datagram.
        for (int i = 0; i < 64 && *alive; ++i) {
          boost::system::error_code more;
          const size_t m = socket_.receive_from(asio::buffer(buffer_), from_, 0, more);
          if (more) break;
          Deliver(m);
        }
        if (*alive) StartReceive();
      });
}

size_t UdpTransport::Poll(size_t max) {
  size_t n = 0;
  while (n < max) {
    boost::system::error_code ec;
    const size_t bytes = socket_.receive_from(asio::buffer(buffer_), from_, 0, ec);
    if (ec) break;  // would block: the buffer is empty
    Deliver(bytes);
    ++n;
  }
  return n;
}

void UdpTransport::Deliver(size_t n) {
  if (!receiver_) return;
  const Endpoint from{from_.address().is_v4() ? from_.address().to_v4().to_uint() : 0,
                      from_.port()};
  receiver_(from, std::span<const uint8_t>(buffer_.data(), n));
}

}  // namespace shoal::gossip
