// One channel's entries at one node: the latest (version, payload) of every
// origin it has heard of, with the TTL that says how many more packets will
// carry it, and this node's own entry with its re-arm backoff. The "hot"
// list holds the origins whose TTL is above zero, so building a packet does
// not scan the whole table. Owned by the Gossiper; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"
#include "core/random.h"

namespace shoal::gossip {

struct StoredEntry {
  uint64_t version = 0;
  std::string payload;
  TimePoint stored_at;  // local time this version arrived (or was published)
  uint32_t ttl = 0;     // packets that will still carry it from this node
  bool hot = false;     // listed in the hot list
};

class EntryTable {
 public:
  // Stores the entry when its version is newer than the stored one, with
  // TTL `ttl`; returns whether it did.
  bool Offer(NodeId origin, uint64_t version, uint32_t ttl, std::string&& payload, TimePoint now);
  const StoredEntry* Find(NodeId origin) const;
  void Erase(NodeId origin);
  size_t size() const { return entries_.size(); }
  const std::unordered_map<NodeId, StoredEntry>& entries() const { return entries_; }

  // Own entry. A payload that differs from the current one becomes a new
  // version (> every version seen for this node, and >= version_floor) with
  // a full TTL, and resets the backoff. Returns whether it changed.
  bool PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor, uint32_t max_ttl,
                  TimePoint now);
  // Someone holds a version of our own entry at least as new as ours (we
  // restarted and forgot, or a stale copy survived): republish above it.
  void OutbidOwn(NodeId self, uint64_t seen_version, uint32_t max_ttl, TimePoint now);
  // Called once per tick: an own entry whose TTL ran out and whose backoff
  // elapsed gets a full TTL again; the next backoff range doubles.
  void RearmOwn(NodeId self, uint32_t max_ttl, Duration base, Duration max, TimePoint now,
                Random& random);

  // Entries chosen for the next packet: the own entry first when it has TTL,
  // then a random subset of the other hot origins. Calls take(origin, entry)
  // until it returns false; every entry taken loses one TTL.
  template <typename Take>
  void Draw(NodeId self, Random& random, Take&& take);

 private:
  void MarkHot(NodeId origin, StoredEntry& e);

  std::unordered_map<NodeId, StoredEntry> entries_;
  std::vector<NodeId> hot_;  // may hold origins whose TTL is now 0: pruned lazily
  // Own re-arm state.
  uint32_t backoff_shift_ = 0;
  TimePoint rearm_at_ = TimePoint::max();
};

template <typename Take>
void EntryTable::Draw(NodeId self, Random& random, Take&& take) {
  auto spend = [&](NodeId origin, StoredEntry& e) {
    if (--e.ttl == 0 && origin == self) rearm_at_ = TimePoint::min();  // schedule on next tick
  };
  if (auto it = entries_.find(self); it != entries_.end() && it->second.ttl > 0) {
    if (!take(self, it->second)) return;
    spend(self, it->second);
  }
  // Partial Fisher-Yates over the hot list: each step picks a random
  // remaining origin; cold or vanished ones are removed as they are met.
  size_t i = 0;
  while (i < hot_.size()) {
    std::swap(hot_[i], hot_[i + random.Below(hot_.size() - i)]);
    auto it = entries_.find(hot_[i]);
    if (it == entries_.end() || it->second.ttl == 0 || it->first == self) {
      if (it != entries_.end()) it->second.hot = false;
      hot_[i] = hot_.back();
      hot_.pop_back();
      continue;
    }
    if (!take(it->first, it->second)) return;
    spend(it->first, it->second);
    ++i;
  }
}

}  // namespace shoal::gossip
