// One request to many nodes over peer streams, answers gathered: each call
// goes to its member's `service` (this node's own answer comes from
// `local`, without the network or a serialisation), `each` sees every
// answer or error as it arrives, and `after` runs once every call has
// ended (each within `timeout`). Request and Response are Protocol
// Buffers messages. Engine code on the owner's event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
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

template <typename Request, typename Response>
struct FanOutCalls {
  std::vector<std::pair<FanOutMember, Request>> calls;  // may include `self`
  std::function<Result<Response>(const Request&)> local;
  std::function<void(NodeId node, Result<Response> response)> each;
  std::function<void()> after;

  void Start(PeerStreams& streams, NodeId self, StreamService service, Duration timeout) && {
    struct State {
      size_t outstanding = 0;
      std::function<void(NodeId, Result<Response>)> each;
      std::function<void()> after;
      void Answer(NodeId node, Result<Response> r) {
        if (node.valid()) each(node, std::move(r));
        if (--outstanding == 0) after();
      }
    };
    auto st = std::make_shared<State>(State{calls.size() + 1, std::move(each), std::move(after)});
    for (const auto& [member, request] : calls) {  // +1 above holds it open until every call is sent
      if (member.id == self) {
        st->Answer(member.id, local(request));
        continue;
      }
      streams.Call(member.endpoint, service, request.SerializeAsString(), timeout,
                   [st, id = member.id](Result<std::string> reply) {
                     if (!reply.ok()) return st->Answer(id, reply.error());
                     Response r;
                     if (!r.ParseFromString(*reply)) return st->Answer(id, MakeError("an answer that does not parse"));
                     st->Answer(id, std::move(r));
                   });
    }
    st->Answer(NodeId{}, MakeError(""));
  }
};

}  // namespace shoal::gossip
