// The real transport: one UDP socket on a Boost.Asio io_context. Sends are
// non-blocking (a full socket buffer drops the datagram and counts it, like
// the network would); receives run on the io_context's thread and hand each
// datagram to the receiver. Use from the io_context's thread only.
#pragma once

#include <array>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/result.h"
#include "gossip/config.h"
#include "gossip/transport.h"

namespace shoal::gossip {

class UdpTransport final : public Transport {
 public:
  // Binds `bind` (port 0 picks a free port). Errors name the address.
  static Result<std::unique_ptr<UdpTransport>> Open(boost::asio::io_context& io,
                                                    const Endpoint& bind);
  ~UdpTransport() override;

  void Send(const Endpoint& to, std::span<const uint8_t> datagram) override;
  Endpoint local_endpoint() const override { return local_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }

  uint64_t send_errors() const { return send_errors_; }

 private:
  explicit UdpTransport(boost::asio::ip::udp::socket socket);
  void StartReceive();
  void Deliver(size_t n);

  boost::asio::ip::udp::socket socket_;
  Endpoint local_;
  Receiver receiver_;
  boost::asio::ip::udp::endpoint from_;
  std::array<uint8_t, kMaxDatagramBytes + 1> buffer_{};
  uint64_t send_errors_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
