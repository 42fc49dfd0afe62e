// Direct probes of random peers, the first step of an accusation (see
// accusations.h). Every `interval` a node starts probing one live peer
// drawn at random; while the peer is being probed it is sent a probe every
// tick (a small datagram asking for its next packet straight back), until
// any packet from the peer itself arrives. A peer that sends nothing for
// `timeout` is reported unanswered, and the Gossiper accuses it.
//
// Pool-wide, some node starts probing any given peer about once per
// interval whatever the pool's size, so a dead node is noticed within a
// few intervals even where news of life takes seconds to go round. A live
// peer answers the first probe that reaches it, so it costs a probe and an
// answer (the answer takes the place of one of the peer's random fan-out
// targets); to be accused, it must miss every probe of the timeout (about
// 20 at the LAN preset), which loss alone practically never does. In a
// small pool silence convicts first, and the Gossiper draws no peers.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/node_id.h"
#include "core/random.h"

namespace shoal::gossip {

class Membership;

class Prober {
 public:
  struct Unanswered {
    NodeId id;
    TimePoint since;  // when probing began
  };

  // interval: how often a new peer is drawn (0: never, probing is off);
  // timeout: how long it has to answer.
  Prober(Duration interval, Duration timeout) : interval_(interval), timeout_(timeout) {}

  // One tick: appends to `probe` the addresses to send a probe now, and to
  // `unanswered` the peers whose timeout ran out (they are no longer
  // probed). A peer that stopped being alive in `membership` is dropped.
  // draw: whether a new peer may be drawn (the probes under way go on
  // either way).
  void Tick(TimePoint now, const Membership& membership, Random& random,
            std::vector<Endpoint>& probe, std::vector<Unanswered>& unanswered, bool draw = true);
  // A packet from `id` itself arrived: it answered.
  void OnDirect(NodeId id);
  // This node stalled: nobody could have answered it. Probing starts over.
  void Restart(TimePoint now);

  size_t probing() const { return open_.size(); }

 private:
  struct Open {
    NodeId id;
    TimePoint since;
  };
  Duration interval_;
  Duration timeout_;
  TimePoint next_draw_ = TimePoint::min();
  std::vector<Open> open_;
};

}  // namespace shoal::gossip
