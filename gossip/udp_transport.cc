#include "gossip/udp_transport.h"

#include "gossip/asio_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/ip/address_v4.hpp>

namespace shoal::gossip {
namespace asio = boost::asio;
using asio::ip::udp;

namespace {
// Longest wait a receive timestamp may report (a wall-clock step aside).
constexpr int64_t kMaxWaitNs = 1'000'000'000;
}  // namespace

Result<std::unique_ptr<UdpTransport>> UdpTransport::Open(asio::io_context& io,
                                                         const Endpoint& bind, Mode mode) {
  boost::system::error_code ec;
  udp::socket socket(io);
  socket.open(udp::v4(), ec);
  if (!ec) socket.bind(ToAsio<udp::endpoint>(bind), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  if (!ec) {
    const int on = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (ec) {
    return MakeError("cannot open UDP socket on {}: {}", bind.ToString(), ec.message());
  }
  auto t = std::unique_ptr<UdpTransport>(new UdpTransport(std::move(socket), mode));
  if (mode == Mode::kAsync) t->StartReceive();
  return t;
}

UdpTransport::UdpTransport(udp::socket socket, Mode mode) {
  const udp::endpoint local = socket.local_endpoint();
  local_ = Endpoint{local.address().to_v4().to_uint(), local.port()};
  if (mode == Mode::kPolled) {
    fd_ = socket.release();
  } else {
    socket_.emplace(std::move(socket));
    fd_ = socket_->native_handle();
  }
}

UdpTransport::~UdpTransport() {
  *alive_ = false;
  if (socket_) {
    boost::system::error_code ec;
    socket_->close(ec);
  } else {
    ::close(fd_);
  }
}

void UdpTransport::Send(const Endpoint& to, std::span<const uint8_t> datagram) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(to.ip);
  addr.sin_port = htons(to.port);
  const ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  if (n < 0) ++send_errors_;
}

void UdpTransport::StartReceive() {
  socket_->async_wait(udp::socket::wait_read, [this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    // Drain what is queued before going back to the reactor: one wake-up
    // for a burst instead of one per datagram.
    for (int i = 0; i < 64 && *alive && ReceiveOne(); ++i) {
    }
    if (*alive) StartReceive();
  });
}

size_t UdpTransport::Poll(size_t max) {
  size_t n = 0;
  while (n < max && ReceiveOne()) ++n;
  return n;
}

bool UdpTransport::ReceiveOne() {
  sockaddr_in from{};
  iovec iov{buffer_.data(), buffer_.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) return errno == EINTR;  // EAGAIN: nothing waiting
  Duration waited = Duration::zero();
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const auto ns = (now.tv_sec - stamp.tv_sec) * 1'000'000'000LL + (now.tv_nsec - stamp.tv_nsec);
    // The stamp is on the wall clock: a step of it between arrival and now
    // must not make a datagram look hours old or from the future.
    waited = std::chrono::duration_cast<Duration>(
        std::chrono::nanoseconds(std::clamp<int64_t>(ns, 0, kMaxWaitNs)));
  }
  if (!receiver_) return true;
  const Endpoint sender{from.sin_family == AF_INET ? ntohl(from.sin_addr.s_addr) : 0, ntohs(from.sin_port)};
  receiver_(sender, std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)), waited);
  return true;
}

}  // namespace shoal::gossip
