// Channels of the information exchange (the original's "registrations").
// A component registers a channel with the Gossiper, publishes this node's
// payload through its Publisher, and reads everyone's latest payload through
// its ViewSubscriber. Channel codes are protocol numbers: append-only, never
// reused. Code 1 is the exchange's own heartbeat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/node_id.h"
#include "gossip/entry_table.h"
#include "gossip/registry.h"

namespace shoal::gossip {

namespace channels {
// Largest heartbeat payload: the address, the incarnation and up to
// kMaxAccusations accusations.
inline constexpr size_t kHeartbeatMaxPayload = 256;
}  // namespace channels

enum ChannelFlags : uint32_t {
  kNoFlags = 0,
  // Frozen into snapshot epochs so every node can compute on the same data.
  kSnapshot = 1u << 0,
  // The subscriber is called at the first tick after the view changed, not
  // at the channel's period (the publisher keeps the period).
  kPromptView = 1u << 1,
};

struct ChannelSpec {
  uint32_t code = 0;  // 2..65535 for components (1 is the heartbeat)
  std::string name;
  // How often the publisher is asked and the subscriber may be called
  // (but see kPromptView and Gossiper::PublishNow). A period shorter than
  // the exchange's tick runs once per tick.
  Duration period = std::chrono::milliseconds(20);
  size_t max_payload = 256;  // bytes; at most kMaxPayloadBytes
  uint32_t flags = kNoFlags;
};

class Membership;

// The latest entry of every live node on one channel, this node's own
// included. Valid only during the subscriber call or until the next call
// into the Gossiper.
class ChannelView {
 public:
  ChannelView(const EntryTable& table, const Membership& membership)
      : table_(table), membership_(membership) {}

  // nullptr when the origin is not live or has published nothing.
  const StoredEntry* Find(NodeId origin) const;
  // The last entry of a node whether it is live or not (failed or departed
  // nodes' entries stay until they are reaped).
  const StoredEntry* FindAny(NodeId origin) const { return table_.Find(origin); }
  // Calls fn(origin, entry) for every live origin, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const;

 private:
  bool Live(NodeId origin) const;
  const EntryTable& table_;
  const Membership& membership_;
};

// Returns this node's current payload, or nullopt to leave it unchanged.
using Publisher = std::function<std::optional<std::string>()>;
// Called at most once per channel period, when something in it changed.
using ViewSubscriber = std::function<void(const ChannelView&)>;

template <typename Fn>
void ChannelView::ForEach(Fn&& fn) const {
  table_.ForEach([&](NodeId origin, const StoredEntry& entry) {
    if (Live(origin)) fn(origin, entry);
  });
}

}  // namespace shoal::gossip
