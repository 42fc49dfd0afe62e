#include "gossip/sim/sim_streams.h"

#include <cmath>

namespace shoal::gossip {

SimStreamHub::SimStreamHub(SimNetwork& net, double bytes_per_second)
    : net_(net), bytes_per_second_(bytes_per_second) {}

SimStreamHub::~SimStreamHub() = default;

SimStreams& SimStreamHub::Attach(const Endpoint& node, NodeId id) {
  auto& s = streams_[node];
  s = std::make_unique<SimStreams>(*this, node, id);
  return *s;
}

SimStreams* SimStreamHub::Find(const Endpoint& node) {
  auto it = streams_.find(node);
  return it == streams_.end() ? nullptr : it->second.get();
}

void SimStreams::Reset() {
  handlers_.clear();
  pending_.clear();
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
}

void SimStreams::Serve(StreamService service, Handler handler) {
  handlers_[static_cast<uint32_t>(service)] = std::move(handler);
}

void SimStreams::Transfer(const Endpoint& from, const Endpoint& to, size_t bytes,
                          std::function<void()> deliver) {
  SimNetwork& net = hub_.net_;
  if (!net.Reachable(from, to)) return;
  auto transfer = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(static_cast<double>(bytes) / hub_.bytes_per_second_));
  TimePoint at = net.clock().Now() + net.Delay(from, to) + transfer;
  net.Schedule(at, [&net, from, to, deliver = std::move(deliver)] {
    if (!net.Reachable(from, to)) return;  // cut off or crashed on the way
    TimePoint stalled = net.StalledUntil(to);
    if (net.clock().Now() < stalled) {
      net.Schedule(stalled, [&net, from, to, deliver] {
        if (net.Reachable(from, to)) deliver();
      });
      return;
    }
    deliver();
  });
}

void SimStreams::Finish(uint64_t call, Result<std::string> result) {
  auto it = pending_.find(call);
  if (it == pending_.end()) return;  // answered or timed out already
  Reply reply = std::move(it->second);
  pending_.erase(it);
  if (!result.ok()) ++counters_.call_failures;
  reply(std::move(result));
}

void SimStreams::Call(const Endpoint& peer, StreamService service, std::string request,
                      Duration timeout, Reply reply) {
  ++counters_.calls;
  if (auto s = CheckRequestSize(peer, request.size()); !s.ok()) {
    ++counters_.call_failures;
    return reply(s.error());
  }
  const uint64_t call = next_call_++;
  pending_.emplace(call, std::move(reply));
  SimNetwork& net = hub_.net_;
  auto alive = alive_;
  net.Schedule(net.clock().Now() + timeout, [this, alive, call, timeout] {
    if (!*alive) return;
    Finish(call, MakeError("no answer within {} ms",
                           std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  });
  counters_.bytes_sent += request.size();
  const size_t size = request.size();
  const Endpoint self = self_;
  SimStreamHub& hub = hub_;
  Transfer(self, peer, size, [&hub, self, peer, service, call, request = std::move(request)]() mutable {
    SimStreams* server = hub.Find(peer);
    if (server == nullptr) return;  // nobody listening: the call times out
    server->counters_.bytes_received += request.size();
    auto respond = [&hub, self, peer, call, served_by = server](Result<std::string> response) {
      ++served_by->counters_.served;
      size_t bytes = response.ok() ? response->size() : response.error().message.size();
      served_by->counters_.bytes_sent += bytes;
      auto shared = std::make_shared<Result<std::string>>(std::move(response));
      served_by->Transfer(peer, self, bytes, [&hub, self, peer, call, shared] {
        SimStreams* caller = hub.Find(self);
        if (caller == nullptr) return;
        if (shared->ok()) {
          caller->counters_.bytes_received += (*shared)->size();
          caller->Finish(call, std::move(*shared));
        } else {
          caller->Finish(call, MakeError("{} answered: {}", peer.ToString(), shared->error().message));
        }
      });
    };
    auto it = server->handlers_.find(static_cast<uint32_t>(service));
    if (it == server->handlers_.end()) {
      return respond(MakeError("no service {} here", static_cast<uint32_t>(service)));
    }
    it->second(StreamPeer{self, hub.Find(self) ? hub.Find(self)->id_ : NodeId{}}, std::move(request),
               std::move(respond));
  });
}

}  // namespace shoal::gossip
