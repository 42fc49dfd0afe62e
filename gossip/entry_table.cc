#include "gossip/entry_table.h"

#include <algorithm>

namespace shoal::gossip {

void EntryTable::MarkHot(uint32_t slot, StoredEntry& e) {
  e.bucket = e.sends;
  if (e.sends == 0) return;
  if (hot_.size() <= e.sends) hot_.resize(e.sends + 1);
  hot_[e.sends].push_back(slot);
}

bool EntryTable::Offer(NodeId origin, uint64_t version, uint32_t ttl, Payload payload,
                       TimePoint now) {
  auto [e, fresh] = entries_.TryEmplace(origin);
  if (e == nullptr) return false;
  if (!fresh && version <= e->version) return false;
  const uint32_t slot = entries_.SlotOf(origin);
  NoteVersion(slot, fresh ? std::nullopt : std::optional(e->version), version);
  e->version = version;
  e->payload = std::move(payload);
  e->stored_at = now;
  e->ttl = static_cast<uint8_t>(std::min<uint32_t>(ttl, 255));
  e->sends = ttl > 0 ? sends_ : 0;
  MarkHot(slot, *e);
  return true;
}

void EntryTable::Erase(NodeId origin) {
  const uint32_t slot = entries_.SlotOf(origin);
  const StoredEntry* e = entries_.FindSlot(slot);
  if (e == nullptr) return;
  NoteVersion(slot, e->version, std::nullopt);
  entries_.Erase(origin);
}

bool EntryTable::PublishOwn(NodeId self, std::string_view payload, uint64_t version_floor,
                            TimePoint now) {
  auto [e, fresh] = entries_.TryEmplace(self);
  if (e == nullptr) return false;
  if (!fresh && e->payload == payload) return false;
  const uint64_t version = std::max(e->version + 1, version_floor);
  NoteVersion(entries_.SlotOf(self), fresh ? std::nullopt : std::optional(e->version), version);
  e->version = version;
  e->payload = Payload(payload);
  e->stored_at = now;
  e->ttl = max_ttl_;
  e->sends = sends_;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
  return true;
}

void EntryTable::OutbidOwn(NodeId self, uint64_t seen_version, TimePoint now) {
  StoredEntry* e = entries_.Find(self);
  if (e == nullptr || e->version > seen_version) return;  // already ahead
  NoteVersion(entries_.SlotOf(self), e->version, seen_version + 1);
  e->version = seen_version + 1;
  e->stored_at = now;
  e->ttl = max_ttl_;
  e->sends = sends_;
  backoff_shift_ = 0;
  rearm_at_ = TimePoint::max();
}

void EntryTable::RearmOwn(NodeId self, Duration base, Duration max, TimePoint now, Random& random,
                          Duration after) {
  StoredEntry* e = entries_.Find(self);
  if (e == nullptr || e->sends > 0) return;
  if (rearm_at_ == TimePoint::min()) {
    // Sends just ran out: draw when to re-send, from a range that doubles.
    Duration range = base * (int64_t{1} << std::min<uint32_t>(backoff_shift_, 30));
    if (range > max) range = max;
    if (range < max) ++backoff_shift_;
    rearm_at_ = now + after + random.Between(Duration::zero(), range);
    return;
  }
  if (now >= rearm_at_) {
    e->ttl = max_ttl_;
    e->sends = sends_;
    rearm_at_ = TimePoint::max();
  }
}

}  // namespace shoal::gossip
