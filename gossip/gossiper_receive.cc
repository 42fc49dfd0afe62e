// The gossiper's receive path: a datagram opened, checked and taken in
// (digests, entries, probes), and an entry stored and queued for sending on.
// See gossiper.h.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "gossip/gossiper.h"

namespace shoal::gossip {

void Gossiper::OnDatagram(const Endpoint& from, std::span<const uint8_t> datagram, Duration waited) {
  ++counters_.packets_received;
  counters_.bytes_received += datagram.size();
  if (datagram.size() > kMaxDatagramBytes) {
    ++counters_.dropped_oversized;
    return;
  }
  OpenFailure why = OpenFailure::kNone;
  auto opened = Open(keyring_, datagram, &why);
  if (!opened.ok()) {
    switch (why) {
      case OpenFailure::kTruncated: ++counters_.dropped_truncated; break;
      case OpenFailure::kForeign: ++counters_.dropped_foreign; break;
      case OpenFailure::kUnknownKey: ++counters_.dropped_unknown_key; break;
      default: ++counters_.dropped_forged; break;
    }
    // A peer with another pool key is a mistake an operator must hear of.
    if (why == OpenFailure::kUnknownKey || why == OpenFailure::kForged) {
      if (auto held = refused_log_.Allow(clock_.Now())) {
        spdlog::warn("datagram from {} dropped: {} (does it hold this pool's key?){}", from.ToString(),
                     opened.error().message,
                     *held ? fmt::format("; {} more dropped in the last second", *held) : std::string());
      }
    }
    return;
  }
  const SealHeader& h = opened->header;
  if (h.sender == identity_.id) {
    ++counters_.dropped_own;
    if (h.boot != identity_.boot) NoteNameConflict(h.boot, from);
    return;
  }
  // A reaped sender that the membership has taken back on other nodes' word.
  if (replay_.retired(h.sender) && membership_.Find(h.sender) != nullptr) replay_.Lift(h.sender);
  if (!replay_.Accept(h.sender, h.boot, h.sequence)) {
    // A sender the index had no room for is not a replay; a reaped one's
    // old packets are.
    if (index_.Find(h.sender) == PeerIndex::kNone && !replay_.retired(h.sender)) {
      ++counters_.dropped_over_limit;
    } else {
      ++counters_.dropped_replayed;
    }
    return;
  }
  const auto& text = opened->plaintext;
  auto packet = DecodePacket(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), config_.protocol);
  if (!packet.ok()) {
    ++counters_.dropped_malformed;
    spdlog::debug("dropped packet from {} ({}): {}", from.ToString(), h.sender.ToString(),
                  packet.error().message);
    return;
  }
  ++counters_.packets_accepted;
  const TimePoint now = clock_.Now();
  // Ages were measured when the packet was built: add its time on the wire
  // (the allowance) and what it waited here before we read it.
  const auto waited_ms = static_cast<uint32_t>(std::clamp<int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(waited).count(), 0, kMaxDigestAgeMs));
  membership_.OnSignOfLife(h.sender, from, now, waited_ms);
  prober_.OnDirect(h.sender);
  const auto allowance = static_cast<uint32_t>(
      std::chrono::ceil<std::chrono::milliseconds>(config_.transit_allowance).count()) + waited_ms;
  const bool catch_up = CatchUpActive();
  for (const LivenessItem& item : packet->liveness) {
    membership_.OnLiveness(item.id, std::min(item.age_ms + allowance, kMaxDigestAgeMs), now);
    // The sender holds older entries of item.id than we do: it missed a
    // wave (or, for its own id, forgot them in a restart). Send ours back.
    const auto ahead = static_cast<int32_t>(VersionSum(item.id) - item.versions);
    if (ahead > 0 && repairs_.size() < kMaxRepairsPerTick) repairs_.emplace_back(from, item.id);
    // It holds newer ones than we do: a wave we missed, or one on its way.
    if (ahead < 0 && catch_up) catch_up_.OnBehind(item.id, item.versions, now);
  }
  for (WireEntry& e : packet->entries) {
    ++counters_.entries_received;
    Channel* ch = FindChannel(e.channel);
    if (ch == nullptr) {
      ++counters_.entries_unknown_channel;
      continue;
    }
    StoreEntry(*ch, std::move(e), now);
  }
  if (packet->sync_reply) synced_ = true;
  if (packet->want_sync) sync_answers_due_.push_back(from);
  if (packet->probe) {
    ++counters_.suspect_probes_received;
    if (probe_answers_due_.size() < kMaxProbeAnswers) AddOnce(probe_answers_due_, from);
  }
}

void Gossiper::NoteNameConflict(uint64_t boot, const Endpoint& from) {
  ++counters_.name_conflicts;
  if (conflict_listener_) conflict_listener_(NameConflict{boot, from});
}

void Gossiper::StoreEntry(Channel& ch, WireEntry&& e, TimePoint now) {
  if (e.payload.size() > ch.spec.max_payload) {
    ++counters_.entries_oversized;
    return;
  }
  if (e.origin == identity_.id) {
    // Somebody holds a newer version of us than we do (a previous life of
    // ours, or a forgery that got a valid seal): outbid it. An echo of our
    // current version is normal and changes nothing.
    if (e.version > OwnVersion(ch.spec.code)) {
      ch.table.OutbidOwn(identity_.id, e.version, now);
      // Our own earlier lives have older boots. A newer boot, or our own
      // boot outbid, is another process publishing as this node.
      if ((e.version >> 32) >= identity_.boot) NoteNameConflict(e.version >> 32, Endpoint{});
    }
    ++counters_.entries_stale;
    return;
  }
  const bool is_heartbeat = ch.spec.code == channels::kHeartbeat;
  Heartbeat hb;
  if (is_heartbeat) {
    auto decoded = DecodeHeartbeat(e.payload);
    if (!decoded.ok()) {
      ++counters_.entries_bad_heartbeat;
      return;
    }
    hb = *decoded;
  }
  if (!membership_.Accepts(e.origin, is_heartbeat, hb.incarnation)) {
    ++counters_.entries_from_reaped;
    return;
  }
  if (ch.table.size() >= config_.max_nodes && ch.table.Find(e.origin) == nullptr) {
    ++counters_.entries_over_limit;
    return;
  }
  // A sender that counts a larger pool may give more hops than we would;
  // ours bound what we forward.
  const uint32_t ttl = e.ttl == 0 ? 0 : std::min(e.ttl, ch.table.max_ttl()) - 1;
  const NodeId origin = e.origin;
  const uint64_t version = e.version;
  // Most copies that arrive are of a version held already: settle those
  // before making a payload.
  if (const StoredEntry* held = ch.table.Find(origin); held && held->version >= version) {
    ++counters_.entries_stale;
    return;
  }
  Payload payload = payloads_ ? payloads_->Intern(origin, ch.spec.code, version, e.payload)
                              : Payload(e.payload);
  if (!ch.table.Offer(origin, version, ttl, std::move(payload), now)) {
    ++counters_.entries_over_limit;  // not stale (checked above): no room in the index
    return;
  }
  ++counters_.entries_new;
  if (ttl > 0 && CatchUpActive()) catch_up_.OnStored(origin, now);
  ch.changed = true;
  if (observer_) observer_(ch.spec.code, origin, version);
  // A forwarded entry does not say how long ago its origin was alive, so
  // only heartbeats (joins, restarts, leaves) go to the membership; news of
  // life comes from packets and their digests, which carry its age.
  if (is_heartbeat) membership_.OnHeartbeat(origin, hb, now);
}

}  // namespace shoal::gossip
