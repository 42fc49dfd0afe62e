// The node's event stream: what happened, as one vocabulary for every
// place an event goes (the history, the journal, scripts, webhooks, SNMP
// traps, `shoalctl events`). Each event has a type (core/event_types.h),
// a severity, a wall-clock time, the raising node's name, a subject (a
// node, an application, a policy version) and facts.
//
// Pool-wide events (a node failed, a booking cannot be met, a policy became
// active) are seen alike by every node; they are raised once for the pool,
// by the node that speaks for it (NodeEngine::SpeaksFor: the lowest live id
// other than the subject), not once per observer. Local events (this
// node's enforcement failed, a push arrived here, its key changed) are
// raised by the node they happened on.
//
// The log keeps the most recent events in memory for pool-wide questions
// and hands each one to its sinks at once, on the caller's thread; a sink
// must not block (slow ones queue, daemon/events/). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/event_types.h"
#include "events.pb.h"

namespace shoal::engine {

using Event = daemon::control::Event;
using EventQuery = daemon::control::EventQuery;
using EventFacts = std::map<std::string, std::string>;

using ::shoal::EventKind;
using ::shoal::EventKinds;
using ::shoal::EventType;
using ::shoal::EventTypeNamed;
using ::shoal::KindOf;
using ::shoal::Severity;
using ::shoal::SeverityName;

// How many events an answer to `q` carries at most: its limit, 0 and
// anything above meaning kMaxEventAnswer.
inline constexpr size_t kMaxEventAnswer = 1000;
inline size_t EventLimit(const EventQuery& q) {
  return q.limit() == 0 ? kMaxEventAnswer : std::min<size_t>(q.limit(), kMaxEventAnswer);
}

class EventLog {
 public:
  using Sink = std::function<void(const Event&)>;
  static constexpr size_t kDefaultKeep = 1000;

  EventLog(std::string node, const WallClock& wall, size_t keep = kDefaultKeep)
      : node_(std::move(node)), wall_(wall), keep_(keep) {}

  void AddSink(Sink sink) { sinks_.push_back(std::move(sink)); }
  // Stamps the event with this node, the next sequence number and the
  // time, keeps it and hands it to every sink.
  const Event& Raise(EventType type, std::string subject, std::string text, const EventFacts& facts = {});
  // The kept events matching `q`, oldest first.
  std::vector<Event> Select(const EventQuery& q) const;
  uint64_t raised() const { return seq_; }
  // Events raised since start, by type name.
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  size_t kept() const { return kept_.size(); }

 private:
  std::string node_;
  const WallClock& wall_;
  size_t keep_;
  uint64_t seq_ = 0;
  std::deque<Event> kept_;
  std::map<std::string, uint64_t> counts_;
  std::vector<Sink> sinks_;
};

}  // namespace shoal::engine
