// One channel's entries at one node: the latest (version, payload) of every
// origin it has heard of, and this node's own entry with its re-arm backoff.
// Each entry has a TTL, the hops it may still travel (a receiver stores the
// received TTL minus one), and a count of sends left: a node that learns an
// entry with TTL left puts it in its next `sends` packets, then stops
// ("infect and die"). Counting sends per node rather than per hop gives every
// node the same number of copies, which is what makes coverage reliable (see
// bench/RESULTS.md). Entries with sends left are listed in one "hot" bucket
// per count, so building a packet neither scans the whole table nor lets old
// news crowd out new: entries with the most sends left (the ones early in
// their spread) go first, in random order within a bucket.
// Owned by the Gossiper; not thread-safe.
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
  uint32_t ttl = 0;     // hops it may still travel from this node
  uint32_t sends = 0;   // packets from this node that will still carry it
  uint32_t bucket = 0;  // the hot bucket it is listed in (0: none)
  uint64_t drawn = 0;   // the last Draw that took it
};

class EntryTable {
 public:
  // max_ttl: the TTL of own entries; sends: packets per node per entry.
  EntryTable(uint32_t max_ttl, uint32_t sends) : max_ttl_(max_ttl), sends_(sends) {}

  // Stores the entry when its version is newer than the stored one, with
  // TTL `ttl` (sends only if ttl > 0); returns whether it did.
  bool Offer(NodeId origin, uint64_t version, uint32_t ttl, std::string&& payload, TimePoint now);
  const StoredEntry* Find(NodeId origin) const;
  void Erase(NodeId origin);
  size_t size() const { return entries_.size(); }
  const std::unordered_map<NodeId, StoredEntry>& entries() const { return entries_; }

  // Own entry. A payload that differs from the current one becomes a new
  // version (> every version seen for this node, and >= version_floor) with
  // a full TTL and sends, and resets the backoff. Returns whether it changed.
  bool PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor, TimePoint now);
  // Someone holds a newer version of our own entry than we do (a previous
  // life of ours): republish above it.
  void OutbidOwn(NodeId self, uint64_t seen_version, TimePoint now);
  // Called once per tick: an own entry whose sends ran out and whose
  // backoff elapsed is sent again; the next backoff range doubles.
  void RearmOwn(NodeId self, Duration base, Duration max, TimePoint now, Random& random);

  // Entries chosen for the next packet: the own entry first when it has TTL,
  // then the other hot origins, most TTL first, randomly within equal TTL.
  // Calls take(origin, entry) until it returns false; every entry taken
  // loses one send and is taken at most once per Draw.
  template <typename Take>
  void Draw(NodeId self, Random& random, Take&& take);

 private:
  // Lists the entry in the bucket of its sends left (if any).
  void MarkHot(NodeId origin, StoredEntry& e);

  uint32_t max_ttl_;
  uint32_t sends_;
  std::unordered_map<NodeId, StoredEntry> entries_;
  // hot_[t]: origins listed with t sends left. A listing is stale when the entry's
  // bucket moved on; stale listings are pruned as Draw meets them.
  std::vector<std::vector<NodeId>> hot_;
  uint64_t draws_ = 0;
  // Own re-arm state.
  uint32_t backoff_shift_ = 0;
  TimePoint rearm_at_ = TimePoint::max();
};

template <typename Take>
void EntryTable::Draw(NodeId self, Random& random, Take&& take) {
  const uint64_t draw = ++draws_;
  auto spend = [&](NodeId origin, StoredEntry& e) {
    e.drawn = draw;
    if (--e.sends == 0 && origin == self) rearm_at_ = TimePoint::min();  // schedule on next tick
    if (origin != self) MarkHot(origin, e);
  };
  if (auto it = entries_.find(self); it != entries_.end() && it->second.sends > 0) {
    if (!take(self, it->second)) return;
    spend(self, it->second);
  }
  for (size_t t = hot_.size(); t-- > 1;) {
    auto& bucket = hot_[t];
    // Partial Fisher-Yates: each step picks a random remaining listing;
    // stale ones are removed as they are met.
    size_t i = 0;
    while (i < bucket.size()) {
      std::swap(bucket[i], bucket[i + random.Below(bucket.size() - i)]);
      auto it = entries_.find(bucket[i]);
      if (it == entries_.end() || it->second.bucket != t || it->first == self) {
        bucket[i] = bucket.back();
        bucket.pop_back();
        continue;
      }
      StoredEntry& e = it->second;
      if (e.drawn == draw) {  // already in this packet (moved down a bucket)
        ++i;
        continue;
      }
      if (!take(it->first, e)) return;
      // Its listing here is now stale (it moves to bucket t-1 or none).
      spend(it->first, e);
      bucket[i] = bucket.back();
      bucket.pop_back();
    }
  }
}

}  // namespace shoal::gossip
