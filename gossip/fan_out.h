// One request to many nodes over peer streams, answers gathered: each call
// goes to its member's `service` (this node's own answer comes from
// `local`, without the network or a serialisation), `each` sees every
// answer or error as it arrives, and `after` runs once every call has
// ended (each within `timeout`), at most `max_in_flight` at a time. Request and Response are Protocol
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
  // Calls outstanding at once (0: every call at once): a question to
  // thousands of nodes opens that many streams at a time, not thousands.
  size_t max_in_flight = 0;

  void Start(PeerStreams& streams, NodeId self, StreamService service, Duration timeout) && {
    auto st = std::make_shared<State>(State{std::move(*this), &streams, self, service, timeout});
    st->remaining = st->f.calls.size();
    if (st->remaining == 0) return st->f.after();
    Launch(st);
  }

 private:
  struct State {
    FanOutCalls f;
    PeerStreams* streams;
    NodeId self;
    StreamService service;
    Duration timeout;
    size_t next = 0, in_flight = 0, remaining = 0;
    bool launching = false;  // answers that come at once do not launch recursively
  };

  static void Launch(const std::shared_ptr<State>& st) {
    const size_t limit = st->f.max_in_flight ? st->f.max_in_flight : st->f.calls.size();
    st->launching = true;
    while (st->next < st->f.calls.size() && st->in_flight < limit) {
      const auto& [member, request] = st->f.calls[st->next++];
      ++st->in_flight;
      if (member.id == st->self) {
        Answer(st, member.id, st->f.local(request));
        continue;
      }
      st->streams->Call(member.endpoint, st->service, request.SerializeAsString(), st->timeout,
                        [st, id = member.id](Result<std::string> reply) {
                          if (!reply.ok()) return Answer(st, id, reply.error());
                          Response r;
                          if (!r.ParseFromString(*reply)) return Answer(st, id, MakeError("an answer that does not parse"));
                          Answer(st, id, std::move(r));
                        });
    }
    st->launching = false;
  }

  static void Answer(const std::shared_ptr<State>& st, NodeId id, Result<Response> r) {
    st->f.each(id, std::move(r));
    --st->in_flight;
    if (--st->remaining == 0) return st->f.after();
    if (!st->launching) Launch(st);
  }
};

}  // namespace shoal::gossip
