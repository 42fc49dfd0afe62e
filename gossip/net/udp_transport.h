// The real transport: one UDP socket on a Boost.Asio io_context. Sends are
// non-blocking (a full socket buffer drops the datagram and counts it, like
// the network would). Receiving has two modes: kAsync hands each datagram
// to the receiver as it arrives (on the io_context's thread); kPolled
// leaves datagrams in the socket buffer until the owner calls Poll(), which
// shoald does at the start of every tick: packets are only built at ticks,
// so nothing is gained by waking up for each datagram. A polled socket is
// not in the io_context's epoll set at all: a registered one wakes the loop
// on every arrival even with no read pending. Use from the io_context's
// thread only.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/result.h"
#include "gossip/config.h"
#include "gossip/transport.h"

namespace shoal::gossip {

class UdpTransport final : public Transport {
 public:
  // Binds `bind` (port 0 picks a free port). Errors name the address.
  enum class Mode { kAsync, kPolled };
  static Result<std::unique_ptr<UdpTransport>> Open(boost::asio::io_context& io,
                                                    const Endpoint& bind,
                                                    Mode mode = Mode::kAsync);
  // kPolled: delivers every datagram waiting in the socket buffer (at most
  // `max`), up to kBatch per system call; returns how many. Either way
  // each datagram comes with how long it waited in the socket, from the
  // kernel's receive timestamp (SO_TIMESTAMPNS), so reading once per tick
  // costs no accuracy.
  size_t Poll(size_t max = 4096);
  ~UdpTransport() override;

  void Send(const Endpoint& to, std::span<const uint8_t> datagram) override;
  // sendmmsg: one system call for up to kBatch targets. A target that
  // fails (unreachable, buffer full) is counted and skipped; the rest are
  // still sent.
  void SendToAll(std::span<const Endpoint> to, std::span<const uint8_t> datagram) override;
  // Between Hold() and Flush() sends are queued (each datagram copied
  // once, however many targets it has) and Flush() hands them all to the
  // kernel in as few sendmmsg calls as it can: shoald holds a tick's sends,
  // so its probes, repairs and packet take one system call, not one each.
  // A send that fails is counted and skipped as above. Flush() without a
  // Hold() does nothing.
  void Hold() { holding_ = true; }
  void Flush();
  Endpoint local_endpoint() const override { return local_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }

  uint64_t send_errors() const { return send_errors_; }

 private:
  UdpTransport(boost::asio::ip::udp::socket socket, Mode mode);
  void StartReceive();
  // Reads up to `want` (<= kBatch) waiting datagrams in one system call
  // and delivers them; returns how many it read.
  size_t ReceiveBatch(size_t want);
  // Sends `n` prepared messages, as many per system call as the kernel
  // takes; one that fails is counted and skipped.
  void SendMessages(struct mmsghdr* msgs, size_t n);

  static constexpr size_t kBatch = 8;
  // A slot one byte larger than the largest datagram accepted, so a larger
  // one shows as too large instead of arriving cut.
  static constexpr size_t kSlot = kMaxDatagramBytes + 1;

  // kAsync: the socket, registered with the io_context. kPolled: empty,
  // and fd_ is ours (released from the io_context).
  std::optional<boost::asio::ip::udp::socket> socket_;
  int fd_ = -1;
  Endpoint local_;
  Receiver receiver_;
  std::vector<uint8_t> buffers_ = std::vector<uint8_t>(kBatch * kSlot);
  uint64_t send_errors_ = 0;
  // Held sends: each target with its datagram's place in held_bytes_.
  struct Held {
    Endpoint to;
    size_t offset = 0, size = 0;
  };
  bool holding_ = false;
  std::vector<Held> held_;
  std::vector<uint8_t> held_bytes_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::gossip
