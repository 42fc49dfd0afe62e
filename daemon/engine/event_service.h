// Pool-wide event questions: serves this node's kept events to peers (the
// kEvents stream service) and asks every live node for theirs, merging
// the answers into one list ordered by time. Since a pool-wide event is
// raised by one node only (events.h), the merged list holds it once.
// Engine code on the owner's event loop. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "daemon/engine/events.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"

namespace shoal::engine {

using EventList = daemon::control::EventList;

class EventService {
 public:
  using NameOf = std::function<std::string(NodeId)>;
  using Done = std::function<void(EventList)>;

  // References must outlive this object.
  EventService(const EventLog& log, gossip::Gossiper& gossiper, gossip::PeerStreams& streams, NameOf name_of);
  ~EventService();
  EventService(const EventService&) = delete;
  EventService& operator=(const EventService&) = delete;

  // This node's answer to `q`.
  EventList Local(const EventQuery& q) const;
  // Every live node's (this one's included), merged: the newest q.limit()
  // (or 1,000), oldest first; nodes that did not answer within `timeout`
  // are named in failures.
  void AskPool(const EventQuery& q, Duration timeout, Done done);

 private:
  const EventLog& log_;
  gossip::Gossiper& gossiper_;
  gossip::PeerStreams& streams_;
  NameOf name_of_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::engine
