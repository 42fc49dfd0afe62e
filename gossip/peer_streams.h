// Peer streams: reliable, authenticated request/response between daemons,
// for what does not fit the gossip's small datagrams: policy documents,
// history replication, pool-wide queries. A node serves numbered services;
// another calls one with a request of up to kMaxStreamMessage bytes and gets
// one response (or an error) back. Two implementations: TcpStreams (real
// TCP, sealed under the pool key) and SimStreams (the simulated network, on
// virtual time), so the engine code above runs unchanged in shoald and in
// shoal-sim. Callbacks run on the owner's event loop and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/node_id.h"
#include "core/result.h"
#include "gossip/registry.h"

namespace shoal::gossip {

// Requests and responses are at most this large (bigger ones are refused
// by the sender and, if one arrives anyway, by the receiver).
inline constexpr size_t kMaxStreamMessage = 64 << 20;

// Service codes, one per user of the streams. Append only.

struct StreamPeer {
  Endpoint endpoint;  // where the call came from
  NodeId id;          // the node id the caller authenticated with
};

struct StreamCounters {
  uint64_t calls = 0;             // made by this node
  uint64_t call_failures = 0;     // of those, ended with an error
  uint64_t served = 0;            // requests answered here
  uint64_t accepted = 0;          // inbound connections
  uint64_t refused = 0;           // inbound connections over a limit, or accepts that failed (no descriptors)
  uint64_t evicted = 0;           // idle inbound connections closed to make room under the limit
  uint64_t auth_failures = 0;     // handshakes or frames that did not authenticate
  uint64_t malformed = 0;         // bad frames, oversized messages
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t retired = 0;  // connections given up: a call's whole timeout passed without a byte from the peer
};

// Refuses a request over kMaxStreamMessage, naming the peer (both
// implementations check before sending).
inline Status CheckRequestSize(const Endpoint& peer, size_t bytes) {
  if (bytes <= kMaxStreamMessage) return Status::Ok();
  return MakeError("request of {} bytes to {} is over the {} byte limit", bytes, peer.ToString(), kMaxStreamMessage);
}

class PeerStreams {
 public:
  // Answers one request; call exactly once, now or later. An error travels
  // back to the caller as its message.
  using Respond = std::function<void(Result<std::string> response)>;
  using Handler = std::function<void(const StreamPeer& from, std::string request, Respond respond)>;
  using Reply = std::function<void(Result<std::string> response)>;

  virtual ~PeerStreams() = default;

  // Installs (or replaces) the handler of a service.
  virtual void Serve(StreamService service, Handler handler) = 0;
  // Calls `service` at `peer`. `reply` runs exactly once: with the response,
  // or with an error naming the peer and what went wrong (unreachable,
  // refused, timed out after `timeout`, no such service, the handler's own
  // error).
  virtual void Call(const Endpoint& peer, StreamService service, std::string request,
                    Duration timeout, Reply reply) = 0;
  // Whether a call to `peer` now would go over a connection already open
  // or being opened (no new handshake): callers free to pick among peers
  // prefer those. Streams without connections say false.
  virtual bool Connected(const Endpoint& peer) const = 0;
  virtual const StreamCounters& counters() const = 0;
};

}  // namespace shoal::gossip
