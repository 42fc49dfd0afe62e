// One request from shoalctl to a running shoald over a peer stream,
// authenticated with the pool key (whoever holds the key file may push
// policies; the token-based control API replaces this for finer roles).
#pragma once

#include <string>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/result.h"
#include "gossip/peer_streams.h"

namespace shoal::ctl {

struct NodeTarget {
  Endpoint node;
  std::string key_file = "/etc/shoal/pool.key";
  Duration timeout = std::chrono::seconds(5);
};

Result<std::string> CallNode(const NodeTarget& target, gossip::StreamService service, std::string request);

}  // namespace shoal::ctl
