#include "gossip/net/udp_transport.h"

#include "gossip/net/asio_endpoint.h"

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
  SendToAll(std::span<const Endpoint>(&to, 1), datagram);
}

namespace {
sockaddr_in ToSockaddr(const Endpoint& e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(e.ip);
  a.sin_port = htons(e.port);
  return a;
}

mmsghdr Message(sockaddr_in* to, iovec* iov) {
  mmsghdr m{};
  m.msg_hdr.msg_name = to;
  m.msg_hdr.msg_namelen = sizeof(*to);
  m.msg_hdr.msg_iov = iov;
  m.msg_hdr.msg_iovlen = 1;
  return m;
}
}  // namespace

void UdpTransport::SendToAll(std::span<const Endpoint> to, std::span<const uint8_t> datagram) {
  if (holding_) {
    const size_t offset = held_bytes_.size();
    held_bytes_.insert(held_bytes_.end(), datagram.begin(), datagram.end());
    for (const Endpoint& e : to) held_.push_back(Held{e, offset, datagram.size()});
    return;
  }
  iovec iov{const_cast<uint8_t*>(datagram.data()), datagram.size()};
  while (!to.empty()) {
    const size_t n = std::min(to.size(), kBatch);
    std::array<mmsghdr, kBatch> msgs{};
    std::array<sockaddr_in, kBatch> addrs{};
    for (size_t i = 0; i < n; ++i) {
      addrs[i] = ToSockaddr(to[i]);
      msgs[i] = Message(&addrs[i], &iov);
    }
    SendMessages(msgs.data(), n);
    to = to.subspan(n);
  }
}

void UdpTransport::Flush() {
  holding_ = false;
  constexpr size_t kMost = 64;
  std::array<mmsghdr, kMost> msgs{};
  std::array<sockaddr_in, kMost> addrs{};
  std::array<iovec, kMost> iovs{};
  for (size_t first = 0; first < held_.size(); first += kMost) {
    const size_t n = std::min(kMost, held_.size() - first);
    for (size_t i = 0; i < n; ++i) {
      const Held& h = held_[first + i];
      addrs[i] = ToSockaddr(h.to);
      iovs[i] = iovec{held_bytes_.data() + h.offset, h.size};
      msgs[i] = Message(&addrs[i], &iovs[i]);
    }
    SendMessages(msgs.data(), n);
  }
  held_.clear();
  held_bytes_.clear();
}

void UdpTransport::SendMessages(mmsghdr* msgs, size_t n) {
  while (n > 0) {
    int sent = -1;
    do {
      sent = ::sendmmsg(fd_, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    // It stops at the first datagram that fails: count that one, go on
    // after it.
    if (sent < 0) {
      ++send_errors_;
      sent = 1;
    }
    msgs += sent;
    n -= static_cast<size_t>(sent);
  }
}

void UdpTransport::StartReceive() {
  socket_->async_wait(udp::socket::wait_read, [this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    // Drain what is queued before going back to the reactor: one wake-up
    // for a burst instead of one per datagram.
    Poll(64);
    if (*alive) StartReceive();
  });
}

size_t UdpTransport::Poll(size_t max) {
  const std::shared_ptr<bool> alive = alive_;  // the receiver may destroy us
  size_t n = 0;
  while (n < max) {
    const size_t want = std::min(kBatch, max - n);
    const size_t got = ReceiveBatch(want);
    n += got;
    if (!*alive || got < want) break;  // destroyed, or the socket is drained
  }
  return n;
}

size_t UdpTransport::ReceiveBatch(size_t want) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_in, kBatch> from{};
  struct alignas(cmsghdr) Control {
    char bytes[CMSG_SPACE(sizeof(timespec))];
  };
  std::array<Control, kBatch> control{};
  for (size_t i = 0; i < want; ++i) {
    iovs[i] = iovec{&buffers_[i * kSlot], kSlot};
    msghdr& m = msgs[i].msg_hdr;
    m.msg_name = &from[i];
    m.msg_namelen = sizeof(from[i]);
    m.msg_iov = &iovs[i];
    m.msg_iovlen = 1;
    m.msg_control = control[i].bytes;
    m.msg_controllen = sizeof(control[i].bytes);
  }
  int got = -1;
  do {
    got = ::recvmmsg(fd_, msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return 0;  // EAGAIN: nothing waiting
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::shared_ptr<bool> alive = alive_;
  for (int i = 0; i < got && *alive; ++i) {
    msghdr& m = msgs[i].msg_hdr;
    Duration waited = Duration::zero();
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
      timespec stamp{};
      std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
      const auto ns = (now.tv_sec - stamp.tv_sec) * 1'000'000'000LL + (now.tv_nsec - stamp.tv_nsec);
      // The stamp is on the wall clock: a step of it between arrival and now
      // must not make a datagram look hours old or from the future.
      waited = std::chrono::duration_cast<Duration>(
          std::chrono::nanoseconds(std::clamp<int64_t>(ns, 0, kMaxWaitNs)));
    }
    if (!receiver_) continue;
    const Endpoint sender{from[i].sin_family == AF_INET ? ntohl(from[i].sin_addr.s_addr) : 0,
                          ntohs(from[i].sin_port)};
    receiver_(sender, std::span<const uint8_t>(&buffers_[i * kSlot], msgs[i].msg_len), waited);
  }
  return static_cast<size_t>(got);
}

}  // namespace shoal::gossip
