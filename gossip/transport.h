// The datagram seam between the exchange and a network. Two implementations:
// UdpTransport (a real socket, Boost.Asio) and SimTransport (a node on the
// simulated network, virtual time). The contract is best effort, like UDP:
// a datagram may be lost, duplicated, delayed or reordered, and Send never
// blocks or reports delivery. The receiver callback runs on the owner's
// event loop (never concurrently with the owner's other calls into the
// engine) and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/clock.h"
#include "core/endpoint.h"

namespace shoal::gossip {

class Transport {
 public:
  // `waited`: how long the datagram had been waiting at this node before
  // this delivery (in the socket buffer, by the kernel's receive
  // timestamp; in the simulator's stall buffer); zero when unknown. The
  // exchange ages what the datagram says by it.
  using Receiver =
      std::function<void(const Endpoint& from, std::span<const uint8_t> datagram, Duration waited)>;

  virtual ~Transport() = default;
  // Queues one datagram for `to`. Errors (unreachable, buffer full) are
  // counted by the implementation, not reported.
  virtual void Send(const Endpoint& to, std::span<const uint8_t> datagram) = 0;
  // The same datagram to each of `to` (a packet's fan-out); a transport may
  // do it in fewer system calls.
  virtual void SendToAll(std::span<const Endpoint> to, std::span<const uint8_t> datagram) {
    for (const Endpoint& e : to) Send(e, datagram);
  }
  virtual Endpoint local_endpoint() const = 0;
  // Replaces the receiver; an empty one drops everything.
  virtual void SetReceiver(Receiver receiver) = 0;
};

}  // namespace shoal::gossip
