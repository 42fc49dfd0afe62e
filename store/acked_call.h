// The call-and-retry piece the replicator, the custodian and the restorer
// share: one history request to a peer at a time, an answer that must be
// of the kind expected (anything else counts as a failure), and after a
// failure a wait before the next try. Each keeps one per target. Not
// thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/result.h"
#include "gossip/peer_streams.h"
#include "history.pb.h"

namespace shoal::store {

class AckedCall {
 public:
  // No call in flight and the wait after a failure is over.
  bool Ready(TimePoint now) const { return !in_flight_ && now >= retry_at_; }
  bool in_flight() const { return in_flight_; }

  // Sends `request` over the history service; `done` gets the peer's
  // acknowledgement or the error. After an error, Ready() waits
  // `retry_after`. `done` is not called once `alive` is false (its owner
  // is gone). REQUIRES: this object outlives the call unless `alive` is
  // cleared first.
  // Returns the bytes sent.
  size_t Send(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request, Duration timeout,
            Clock& clock, Duration retry_after, std::shared_ptr<bool> alive,
            std::function<void(Result<wire::Ack>)> done);
  // The same for an answer that must be rows (a Copy: to a Restore).
  size_t SendForRows(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request, Duration timeout,
                     Clock& clock, Duration retry_after, std::shared_ptr<bool> alive,
                     std::function<void(Result<wire::Copy>)> done);

 private:
  // Sends; `done` gets the answer's part `Part` reads (an error if absent).
  template <typename Answer, typename Part>
  size_t SendFor(gossip::PeerStreams& streams, const Endpoint& to, const wire::Request& request, Duration timeout,
                 Clock& clock, Duration retry_after, std::shared_ptr<bool> alive, Part part,
                 std::function<void(Result<Answer>)> done);

  bool in_flight_ = false;
  TimePoint retry_at_{};
};

}  // namespace shoal::store
