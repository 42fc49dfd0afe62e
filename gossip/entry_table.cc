#include "gossip/entry_table.h"

#include <algorithm>

namespace shoal::gossip {

void EntryTable::MarkHot(NodeId origin, StoredEntry& e) {
  e.bucket = e.ttl;
  if (e.ttl == 0) return;
  if (hot_.size() <= e.ttl) hot_.resize(e.ttl + 1);
  hot_[e.ttl].push_back(origin);
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
  MarkHot(origin, e);
  return true;
}

const StoredEntry* EntryTable::Find(NodeId origin) const {
  auto it = entries_.find(origin);
  return it == entries_.end() ? nullptr : &it->second;
}

void EntryTable::Erase(NodeId origin) { entries_.erase(origin); }

bool EntryTable::PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor,
                            uint32_t max_ttl, TimePoint now) {
  auto [it, fresh] = entries_.try_emplace(self);
  StoredEntry& e = it->second;
  if (!fresh && e.payload == payload) return false;
  e.version = std::max(e.version + 1, version_floor);
  e.payload.assign(payload);
  e.stored_at = now;
  e.ttl = max_ttl;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
  return true;
}

void EntryTable::OutbidOwn(NodeId self, uint64_t seen_version, uint32_t max_ttl, TimePoint now) {
  auto it = entries_.find(self);
  if (it == entries_.end() || it->second.version > seen_version) return;
  it->second.version = seen_version + 1;
  it->second.stored_at = now;
  it->second.ttl = max_ttl;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
}

void EntryTable::RearmOwn(NodeId self, uint32_t max_ttl, Duration base, Duration max,
                          TimePoint now, Random& random) {
  auto it = entries_.find(self);
  if (it == entries_.end() || it->second.ttl > 0) return;
  if (rearm_at_ == TimePoint::min()) {
    // TTL just ran out: draw when to re-send, from a range that doubles.
    Duration range = base * (int64_t{1} << std::min<uint32_t>(backoff_shift_, 30));
    if (range > max) range = max;
    if (range < max) ++backoff_shift_;
    rearm_at_ = now + random.Between(Duration::zero(), range);
    return;
  }
  if (now >= rearm_at_) {
    it->second.ttl = max_ttl;
    rearm_at_ = TimePoint::max();
  }
}

}  // namespace shoal::gossip
