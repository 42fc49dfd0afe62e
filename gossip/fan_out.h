// One request to many nodes over peer streams, answers gathered: calls
// `service` on every member (this node's own answer comes from `local`,
// without the network), hands each answer or error to `each` as it
// arrives and runs `after` once every call has ended (each within
// `timeout`). Engine code on the owner's event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/endpoint.h"
#include "core/node_id.h"
#include "gossip/peer_streams.h"

namespace shoal::gossip {

struct FanOutMember {
  NodeId id;
  Endpoint endpoint;
};

class FanOut : public std::enable_shared_from_this<FanOut> {
 public:
  using Local = std::function<Result<std::string>(const std::string& request)>;
  using Each = std::function<void(NodeId node, Result<std::string> response)>;

  // `members` may include `self`; it is answered by `local`.
  static void Start(PeerStreams& streams, NodeId self, const std::vector<FanOutMember>& members,
                    StreamService service, const std::string& request, Duration timeout, const Local& local,
                    Each each, std::function<void()> after);

 private:
  void Answer(NodeId node, Result<std::string> response);

  size_t outstanding_ = 0;
  Each each_;
  std::function<void()> after_;
};

}  // namespace shoal::gossip
