#include "gossip/entry_table.h"

#include <algorithm>

namespace shoal::gossip {

void EntryTable::MarkHot(NodeId origin, StoredEntry& e) {
  e.bucket = e.sends;
  if (e.sends == 0) return;
  if (hot_.size() <= e.sends) hot_.resize(e.sends + 1);
  hot_[e.sends].push_back(origin);
}

bool EntryTable::Offer(NodeId origin, uint64_t version, uint32_t ttl, std::string&& payload,
                       TimePoint now) {
  auto [it, fresh] = entries_.try_emplace(origin);
  StoredEntry& e = it->second;
  if (!fresh && version <= e.version) return false;
  e.version = version;
  e.payload = std::move(payload);
  e.stored_at = now;
  e.ttl = ttl;
  e.sends = ttl > 0 ? sends_ : 0;
  MarkHot(origin, e);
  return true;
}

const StoredEntry* EntryTable::Find(NodeId origin) const {
  auto it = entries_.find(origin);
  return it == entries_.end() ? nullptr : &it->second;
}

void EntryTable::Erase(NodeId origin) { entries_.erase(origin); }

bool EntryTable::PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor,
                            TimePoint now) {
  auto [it, fresh] = entries_.try_emplace(self);
  StoredEntry& e = it->second;
  if (!fresh && e.payload == payload) return false;
  e.version = std::max(e.version + 1, version_floor);
  e.payload.assign(payload);
  e.stored_at = now;
  e.ttl = max_ttl_;
  e.sends = sends_;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
  return true;
}

void EntryTable::OutbidOwn(NodeId self, uint64_t seen_version, TimePoint now) {
  auto it = entries_.find(self);
  if (it == entries_.end() || it->second.version > seen_version) return;  // already ahead
  it->second.version = seen_version + 1;
  it->second.stored_at = now;
  it->second.ttl = max_ttl_;
  it->second.sends = sends_;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
}

void EntryTable::RearmOwn(NodeId self, Duration base, Duration max, TimePoint now,
                          Random& random) {
  auto it = entries_.find(self);
  if (it == entries_.end() || it->second.sends > 0) return;
  if (rearm_at_ == TimePoint::min()) {
    // Sends just ran out: draw when to re-send, from a range that doubles.
    Duration range = base * (int64_t{1} << std::min<uint32_t>(backoff_shift_, 30));
    if (range > max) range = max;
    if (range < max) ++backoff_shift_;
    rearm_at_ = now + random.Between(Duration::zero(), range);
    return;
  }
  if (now >= rearm_at_) {
    it->second.ttl = max_ttl_;
    it->second.sends = sends_;
    rearm_at_ = TimePoint::max();
  }
}

}  // namespace shoal::gossip
