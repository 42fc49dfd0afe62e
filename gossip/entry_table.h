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
// Entries live in a SlotMap (an array by the origin's PeerIndex slot).
// Owned by the Gossiper; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/node_id.h"
#include "core/random.h"
#include "gossip/payload.h"
#include "gossip/slot_map.h"

namespace shoal::gossip {

// 32 bytes: a node holds one per peer per channel.
struct StoredEntry {
  uint64_t version = 0;
  Payload payload;
  TimePoint stored_at;  // local time this version arrived (or was published)
  uint32_t drawn = 0;   // the last Draw that took it (low 32 bits of its number)
  uint8_t ttl = 0;      // hops it may still travel from this node (<= kMaxTtl)
  uint8_t sends = 0;    // packets from this node that will still carry it
  uint8_t bucket = 0;   // the hot bucket it is listed in (0: none)
};

// Per origin (by slot): the sum over a node's channels of the low 32 bits
// of each held entry's version plus one, modulo 2^32 (the digest's
// `versions`). The tables keep it as their entries change, so comparing a
// digest item costs one load instead of a lookup per channel.
// Like a SlotMap it grows by doubling but never past the index's slots
// (a vector left to double alone holds up to twice the pool).
class VersionSums {
 public:
  explicit VersionSums(const PeerIndex& index) : index_(&index) {}
  uint32_t Get(uint32_t slot) const { return slot < sums_.size() ? sums_[slot] : 0; }
  // An entry of the origin at `slot` went from version `before` to
  // `after`; nullopt: absent.
  void Change(uint32_t slot, std::optional<uint64_t> before, std::optional<uint64_t> after) {
    if (slot >= sums_.size()) Grow(slot);
    sums_[slot] += Term(after) - Term(before);
  }

 private:
  static uint32_t Term(std::optional<uint64_t> v) { return v ? static_cast<uint32_t>(*v) + 1 : 0; }
  void Grow(uint32_t slot) {
    sums_.reserve(std::max<size_t>(slot + 1, std::min(2 * sums_.capacity(), index_->slots())));
    sums_.resize(slot + 1, 0);
  }
  const PeerIndex* index_;
  std::vector<uint32_t> sums_;
};

class EntryTable {
 public:
  // max_ttl: the TTL of own entries (<= 255); sends: packets per node per
  // entry (<= 255). sums (if any) is kept up to date with this table's
  // versions; several tables of one node share it.
  EntryTable(PeerIndex& index, uint32_t max_ttl, uint32_t sends, VersionSums* sums = nullptr)
      : max_ttl_(static_cast<uint8_t>(max_ttl)), sends_(static_cast<uint8_t>(sends)), entries_(index),
        sums_(sums) {}

  // Sends and the TTL given to own entries published or re-armed from now
  // on (sends also to entries stored from now on).
  void set_spread(uint32_t max_ttl, uint32_t sends) {
    max_ttl_ = static_cast<uint8_t>(max_ttl);
    sends_ = static_cast<uint8_t>(sends);
  }
  uint32_t max_ttl() const { return max_ttl_; }

  // Stores the entry when its version is newer than the stored one, with
  // TTL `ttl` (sends only if ttl > 0); returns whether it did. It does not
  // when the index is full (then Find(origin) is null).
  bool Offer(NodeId origin, uint64_t version, uint32_t ttl, Payload payload, TimePoint now);
  const StoredEntry* Find(NodeId origin) const { return entries_.Find(origin); }
  const StoredEntry* FindSlot(uint32_t slot) const { return entries_.FindSlot(slot); }
  void Erase(NodeId origin);
  size_t size() const { return entries_.size(); }
  // fn(origin, entry) for every entry, in slot order.
  template <typename Fn>
  void ForEach(Fn&& fn) const { entries_.ForEach(fn); }

  // Own entry. A payload that differs from the current one becomes a new
  // version (> every version seen for this node, and >= version_floor) with
  // a full TTL and sends, and resets the backoff. Returns whether it changed.
  bool PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor, TimePoint now);
  // Someone holds a newer version of our own entry than we do (a previous
  // life of ours): republish above it.
  void OutbidOwn(NodeId self, uint64_t seen_version, TimePoint now);
  // Called once per tick: an own entry whose sends ran out and whose
  // backoff elapsed is sent again; the next backoff range doubles. The
  // backoff is `after` plus a random draw from the range: a channel's
  // entry is not sent again sooner than its period, when a new version
  // comes if it changed.
  void RearmOwn(NodeId self, Duration base, Duration max, TimePoint now, Random& random,
                Duration after = Duration::zero());

  // Entries chosen for the next packet: the own entry first when it has TTL,
  // then the other hot origins, most TTL first, randomly within equal TTL.
  // Calls take(origin, entry) until it returns false; every entry taken
  // loses one send and is taken at most once per Draw.
  template <typename Take>
  void Draw(NodeId self, Random& random, Take&& take);

 private:
  // Lists the entry in the bucket of its sends left (if any).
  void MarkHot(uint32_t slot, StoredEntry& e);
  void NoteVersion(uint32_t slot, std::optional<uint64_t> before, std::optional<uint64_t> after) {
    if (sums_ != nullptr) sums_->Change(slot, before, after);
  }

  uint8_t max_ttl_;
  uint8_t sends_;
  SlotMap<StoredEntry> entries_;
  VersionSums* sums_;
  // hot_[t]: slots listed with t sends left. A listing is stale when the entry's
  // bucket moved on; stale listings are pruned as Draw meets them.
  std::vector<std::vector<uint32_t>> hot_;
  uint64_t draws_ = 0;
  // Own re-arm state.
  uint32_t backoff_shift_ = 0;
  TimePoint rearm_at_ = TimePoint::max();
};

template <typename Take>
void EntryTable::Draw(NodeId self, Random& random, Take&& take) {
  const auto draw = static_cast<uint32_t>(++draws_);
  const uint32_t self_slot = entries_.SlotOf(self);
  if (StoredEntry* own = entries_.FindSlot(self_slot); own != nullptr && own->sends > 0) {
    if (!take(self, static_cast<const StoredEntry&>(*own))) return;
    own->drawn = draw;
    if (--own->sends == 0) rearm_at_ = TimePoint::min();  // schedule on next tick
  }
  for (size_t t = hot_.size(); t-- > 1;) {
    auto& bucket = hot_[t];
    // Partial Fisher-Yates: each step picks a random remaining listing;
    // stale ones are removed as they are met.
    size_t i = 0;
    while (i < bucket.size()) {
      std::swap(bucket[i], bucket[i + random.Below(bucket.size() - i)]);
      const uint32_t slot = bucket[i];
      StoredEntry* e = entries_.FindSlot(slot);
      if (e == nullptr || e->bucket != t || slot == self_slot) {
        bucket[i] = bucket.back();
        bucket.pop_back();
        continue;
      }
      if (e->drawn == draw) {  // already in this packet (moved down a bucket)
        ++i;
        continue;
      }
      if (!take(entries_.IdOf(slot), static_cast<const StoredEntry&>(*e))) return;
      // Its listing here is now stale (it moves to bucket t-1 or none).
      e->drawn = draw;
      --e->sends;
      MarkHot(slot, *e);
      bucket[i] = bucket.back();
      bucket.pop_back();
    }
  }
}

}  // namespace shoal::gossip
