#include "daemon/engine/event_service.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "gossip/fan_out.h"

namespace shoal::engine {
namespace {

bool Earlier(const Event& a, const Event& b) {
  return std::make_tuple(a.time_ms(), a.node(), a.seq()) < std::make_tuple(b.time_ms(), b.node(), b.seq());
}

}  // namespace

EventService::EventService(const EventLog& log, gossip::Gossiper& gossiper, gossip::PeerStreams& streams,
                           NameOf name_of)
    : log_(log), gossiper_(gossiper), streams_(streams), name_of_(std::move(name_of)) {
  streams_.Serve(gossip::StreamService::kEvents,
                 [this](const gossip::StreamPeer&, std::string request, gossip::PeerStreams::Respond respond) {
                   EventQuery q;
                   if (!q.ParseFromString(request)) return respond(MakeError("an event query that does not parse"));
                   respond(Local(q).SerializeAsString());
                 });
}

EventService::~EventService() {
  *alive_ = false;
  streams_.Serve(gossip::StreamService::kEvents, [](const gossip::StreamPeer&, std::string,
                                                    gossip::PeerStreams::Respond respond) {
    respond(MakeError("events are not served here"));
  });
}

EventList EventService::Local(const EventQuery& q) const {
  EventList list;
  for (auto& e : log_.Select(q)) *list.add_events() = std::move(e);
  list.set_nodes_asked(1);
  return list;
}

void EventService::AskPool(const EventQuery& q, Duration timeout, Done done) {
  const NodeId self = gossiper_.identity().id;
  std::vector<std::pair<gossip::FanOutMember, EventQuery>> calls{{{self, Endpoint{}}, q}};
  for (const auto m : gossiper_.membership().live_peers()) calls.push_back({{m.id, m->endpoint}, q});
  auto merged = std::make_shared<EventList>();
  merged->set_nodes_asked(static_cast<uint32_t>(calls.size()));
  auto each = [this, alive = alive_, merged](NodeId node, Result<EventList> part) {
    if (!part.ok()) {
      const std::string who = *alive ? name_of_(node) : node.ToString();
      merged->add_failures(fmt::format("{}: {}", who, part.error().message));
      return;
    }
    for (auto& e : *part->mutable_events()) *merged->add_events() = std::move(e);
  };
  auto after = [merged, limit = EventLimit(q), done = std::move(done)] {
    auto& events = *merged->mutable_events();
    std::sort(events.begin(), events.end(), Earlier);
    if (static_cast<size_t>(events.size()) > limit) events.DeleteSubrange(0, events.size() - static_cast<int>(limit));
    done(std::move(*merged));
  };
  gossip::FanOutCalls<EventQuery, EventList>{std::move(calls), [this](const EventQuery& r) { return Local(r); },
                                             std::move(each), std::move(after)}
      .Start(streams_, self, gossip::StreamService::kEvents, timeout);
}

}  // namespace shoal::engine
