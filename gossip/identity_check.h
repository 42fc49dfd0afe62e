// Before a node says anything in the pool, it asks its seeds whether its
// node id is already live at another address: two daemons with one name
// (a cloned VM keeps its host name) would cut each other off, and the
// replay guards of the pool would refuse the older one's packets after the
// newer boot appeared. A seed answers from its membership (itself
// included). A node live elsewhere whose news stays fresh over a second
// look (a dead node's age grows; a restart on a new address ages out) is a
// conflict; no answer within the timeout is not (the pool may not be
// there yet). Engine code: runs on PeerStreams and the caller's clock, in
// shoald and in the simulator.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/endpoint.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"

namespace shoal::gossip {

struct IdentityConflict {
  Endpoint seed;      // who answered
  Endpoint at;        // where the node id is live
  uint32_t age_ms = 0;
};

class IdentityCheck {
 public:
  // nullopt: nobody else is live under this id (or nobody answered).
  using Done = std::function<void(std::optional<IdentityConflict>)>;

  // REQUIRES: the references outlive this object. Serves
  // StreamService::kIdentity on `streams`.
  IdentityCheck(Gossiper& gossiper, PeerStreams& streams, Clock& clock);

  // Asks each seed in turn about this node's own id; `self` is the address
  // this node advertises. `look_again` is the pause before the second look.
  void Ask(const std::vector<Endpoint>& seeds, const Endpoint& self, Duration timeout, Duration look_again,
           std::function<void(Duration, std::function<void()>)> after, Done done);

 private:
  struct Asking;
  void AskSeed(std::shared_ptr<Asking> a, size_t seed);
  std::string Answer(NodeId id) const;

  Gossiper& gossiper_;
  PeerStreams& streams_;
  Clock& clock_;
};

}  // namespace shoal::gossip
