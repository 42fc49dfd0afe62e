// The Gossiper's state transfer, beside the push of new entries: full-state
// answers to joining or recovered nodes, repairs of entries a peer's digest
// showed it missing, and the simulator's formed start (Adopt).
#include "gossip/gossiper.h"

#include <algorithm>

namespace shoal::gossip {

void Gossiper::Adopt(const Gossiper& peer) {
  const TimePoint now = clock_.Now();
  const NodeId origin = peer.identity().id;
  membership_.OnSignOfLife(origin, peer.identity().advertise, now);
  synced_ = true;  // no need to ask anyone for the full state
  for (auto& ch : channels_) {
    auto theirs = peer.by_code_.find(ch->spec.code);
    if (theirs == peer.by_code_.end()) continue;
    const StoredEntry* e = theirs->second->table.Find(origin);
    if (e == nullptr) continue;
    // TTL 1, as in a full-state answer: stored with none left.
    StoreEntry(*ch, WireEntry{origin, ch->spec.code, e->version, 1, e->payload.str()}, now);
  }
}

uint32_t Gossiper::VersionSum(NodeId origin) const {
  // Each entry counts its version plus one, so that a missing entry shows
  // even when the held one is a boot's first version (low 32 bits zero).
  // After a restart (a new boot) the sums can point the wrong way: the
  // repair then sends entries the peer refuses as old, and nothing worse.
  // The tables keep the sums as they change (VersionSums).
  return version_sums_.Get(index_.Find(origin));
}

void Gossiper::SendRepairs() {
  if (repairs_.empty()) return;
  std::sort(repairs_.begin(), repairs_.end());
  repairs_.erase(std::unique(repairs_.begin(), repairs_.end()), repairs_.end());
  const size_t budget = config_.mtu - kSealOverheadBytes - kPacketOverheadBound;
  Packet packet;
  size_t used = 0;
  auto flush = [&](const Endpoint& to) {
    if (packet.entries.empty()) return;
    const Endpoint target[1] = {to};
    SendSealed(packet, target);
    counters_.repairs_sent += packet.entries.size();
    counters_.repair_bytes_sent += used;
    packet.entries.clear();
    used = 0;
  };
  for (size_t i = 0; i < repairs_.size(); ++i) {
    const auto& [to, origin] = repairs_[i];
    for (const auto& ch : channels_) {
      const StoredEntry* e = ch->table.Find(origin);
      if (e == nullptr || !membership_.IsLive(origin)) continue;
      const size_t need = EncodedEntrySize(ch->spec.code, e->version, 1, e->payload.size());
      // A full packet goes out and the origin's other entries follow in the next.
      if (used + need > budget || packet.entries.size() >= kMaxEntriesPerPacket) flush(to);
      used += need;
      // TTL 1: for the node that missed it only.
      packet.entries.push_back(WireEntry{origin, ch->spec.code, e->version, 1, e->payload.str()});
    }
    if (i + 1 == repairs_.size() || repairs_[i + 1].first != to) flush(to);
  }
  repairs_.clear();
}

void Gossiper::AnswerSync(const Endpoint& to) {
  const TimePoint now = clock_.Now();
  auto [it, fresh] = sync_answered_at_.try_emplace(to, TimePoint::min());
  if (!fresh && now - it->second < config_.sync_cooldown) return;
  it->second = now;
  if (sync_answered_at_.size() > 4096) {
    std::erase_if(sync_answered_at_,
                  [&](const auto& kv) { return now - kv.second >= config_.sync_cooldown; });
  }
  ++counters_.sync_requests_answered;
  const size_t budget = config_.mtu - kSealOverheadBytes - kPacketOverheadBound;
  Packet packet;
  packet.sync_reply = true;
  size_t used = 0;
  size_t sent = 0;
  const Endpoint target[1] = {to};
  bool full = false;
  for (auto& ch : channels_) {
    ch->table.ForEach([&](NodeId origin, const StoredEntry& e) {
      if (full || !membership_.IsLive(origin)) return;
      const size_t need = EncodedEntrySize(ch->spec.code, e.version, 1, e.payload.size());
      if (packet.entries.size() >= kMaxEntriesPerPacket || used + need > budget) {
        SendSealed(packet, target);
        if (++sent >= config_.max_sync_packets) {
          full = true;
          return;
        }
        packet.entries.clear();
        used = 0;
      }
      used += need;
      // TTL 1: the receiver stores it but does not forward it; everyone else
      // has it already.
      packet.entries.push_back(WireEntry{origin, ch->spec.code, e.version, 1, e.payload.str()});
    });
    if (full) return;
  }
  SendSealed(packet, target);
}

}  // namespace shoal::gossip
