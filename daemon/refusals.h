// What each listener of a daemon refused, by reason: the gossip socket's
// dropped datagrams, the peer streams' refused connections and frames, the
// control API's refused requests. One list for every place that shows them
// (`shoalctl status`, and metrics), so the reasons are named once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/control_server.h"
#include "gossip/counters.h"
#include "gossip/peer_streams.h"

namespace shoal::daemon {

struct Refusal {
  std::string listener;  // gossip, streams, control
  std::string reason;
  uint64_t count = 0;
};

// Every reason with a count above zero, in a fixed order. `control` may be
// null (no control API).
std::vector<Refusal> CollectRefusals(const gossip::Counters& gossip, const gossip::StreamCounters& streams,
                                     const ControlCounters* control);

}  // namespace shoal::daemon
