#include "gossip/membership.h"

#include <algorithm>
#include <cmath>

#include "packet.pb.h"

namespace shoal::gossip {

std::string_view ToString(MemberState s) {
  switch (s) {
    case MemberState::kAlive: return "alive";
    case MemberState::kSuspect: return "suspect";
    case MemberState::kFailed: return "failed";
    case MemberState::kLeft: return "left";
  }
  return "?";
}

std::string_view ToString(MemberEvent::Kind k) {
  switch (k) {
    case MemberEvent::Kind::kJoined: return "joined";
    case MemberEvent::Kind::kSuspected: return "suspected";
    case MemberEvent::Kind::kFailed: return "failed";
    case MemberEvent::Kind::kRecovered: return "recovered";
    case MemberEvent::Kind::kLeft: return "left";
    case MemberEvent::Kind::kReaped: return "reaped";
    case MemberEvent::Kind::kAccused: return "accused";
  }
  return "?";
}

std::string EncodeHeartbeat(const Heartbeat& h) {
  wire::Heartbeat w;
  w.set_incarnation(h.incarnation);
  w.set_ip(h.endpoint.ip);
  w.set_port(h.endpoint.port);
  w.set_status(h.leaving ? wire::MEMBER_STATUS_LEAVING : wire::MEMBER_STATUS_ALIVE);
  w.set_protocol_min(h.protocol.min);
  w.set_protocol_max(h.protocol.max);
  w.set_build(h.build.substr(0, kMaxBuildBytes));
  for (const Accusation& a : h.accused) {
    auto* wa = w.add_accused();
    wa->set_id(a.id.value);
    wa->set_incarnation(a.incarnation);
  }
  return w.SerializeAsString();
}

Result<Heartbeat> DecodeHeartbeat(std::string_view bytes) {
  wire::Heartbeat w;
  if (!w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("malformed heartbeat");
  }
  if (w.port() == 0 || w.port() > 65535 || w.ip() == 0) {
    return MakeError("heartbeat names no valid address");
  }
  if (w.status() != wire::MEMBER_STATUS_ALIVE && w.status() != wire::MEMBER_STATUS_LEAVING) {
    return MakeError("heartbeat status {} unknown", static_cast<int>(w.status()));
  }
  if (static_cast<size_t>(w.accused_size()) > kMaxAccusations) {
    return MakeError("heartbeat accuses {} nodes, more than {}", w.accused_size(), kMaxAccusations);
  }
  Heartbeat h{w.incarnation(), Endpoint{w.ip(), static_cast<uint16_t>(w.port())},
              w.status() == wire::MEMBER_STATUS_LEAVING, {}, ProtocolRange{1, 1}};
  if (w.protocol_max() != 0) {
    if (w.protocol_min() == 0 || w.protocol_min() > w.protocol_max() || w.protocol_max() > kMaxProtocolVersion) {
      return MakeError("heartbeat protocol range {} to {}", w.protocol_min(), w.protocol_max());
    }
    h.protocol = ProtocolRange{static_cast<uint16_t>(w.protocol_min()), static_cast<uint16_t>(w.protocol_max())};
  }
  if (w.build().size() > kMaxBuildBytes) return MakeError("heartbeat build of {} bytes", w.build().size());
  h.build = w.build();
  for (const auto& wa : w.accused()) {
    if (wa.id() == 0) return MakeError("heartbeat accuses node id 0");
    h.accused.push_back(Accusation{NodeId{wa.id()}, wa.incarnation()});
  }
  return h;
}

Membership::Membership(NodeId self, const GossipConfig& config, PeerIndex& index)
    : self_(self), config_(config), timing_(config.AtTimingFanout()), members_(index) {}

namespace {
constexpr uint8_t kDigestList = 1;  // live, address or not
constexpr uint8_t kLiveList = 2;    // live with an address
constexpr uint8_t kFailedList = 4;  // failed with an address
}  // namespace

uint8_t Membership::Lists(const Member& m) {
  const bool live = m.state == MemberState::kAlive || m.state == MemberState::kSuspect;
  const bool addressed = m.endpoint.valid();
  return static_cast<uint8_t>((live ? kDigestList : 0) | (live && addressed ? kLiveList : 0) |
                              (m.state == MemberState::kFailed && addressed ? kFailedList : 0));
}

void Membership::Relist(uint8_t before, NodeId id, const Member& m) {
  if (live_dirty_) return;  // the rebuild will list it
  const uint8_t after = Lists(m);
  if ((before & ~after & (kLiveList | kFailedList)) != 0) {
    live_dirty_ = true;  // it left a list: rebuild (rare: a failure, a leave)
    return;
  }
  const uint8_t added = after & ~before;
  if ((added & (kLiveList | kFailedList)) == 0) return;
  const uint32_t slot = members_.SlotOf(id);
  if (added & kLiveList) live_cache_.push_back(slot);
  if (added & kFailedList) failed_cache_.push_back(slot);
}

void Membership::Emit(MemberEvent::Kind kind, NodeId id, const Member& m, TimePoint now) {
  if (listener_) listener_(MemberEvent{kind, id, m.endpoint, now});
}

void Membership::SetState(NodeId id, Member& m, MemberState s, TimePoint now) {
  const bool was_live = m.state == MemberState::kAlive || m.state == MemberState::kSuspect;
  const bool is_live = s == MemberState::kAlive || s == MemberState::kSuspect;
  if (was_live != is_live) live_peers_count_ += is_live ? 1 : -1;
  const uint8_t before = Lists(m);
  m.state = s;
  m.state_since = now;
  Relist(before, id, m);
}

void Membership::OnHeartbeat(NodeId origin, const Heartbeat& hb, TimePoint now) {
  if (origin == self_) return;
  UpdateMember(origin, hb, now);
  if (!members_.contains(origin)) return;  // no room: its word is not taken either
  // What it says of this node is for this node to refute; of others, the
  // book keeps. A departing node's accusations go with it.
  std::vector<Accusation> others;
  for (const Accusation& a : hb.accused) {
    if (a.id == self_) {
      accused_self_ = accused_self_ || a.incarnation == own_incarnation_;
    } else if (a.id != origin && !hb.leaving) {
      others.push_back(a);
    }
  }
  accusations_.Replace(origin, others, now);
}

static_assert(sizeof(Member) <= 40, "a Member is held per peer per node: keep it small");

void Membership::UpdateMember(NodeId origin, const Heartbeat& hb, TimePoint now) {
  if (members_.size() >= config_.max_nodes && !members_.contains(origin)) return;
  auto [mp, fresh] = members_.TryEmplace(origin);
  if (mp == nullptr) return;  // no room in the index
  tombstones_.erase(origin);
  Member& m = *mp;
  const bool had_address = m.endpoint.valid();
  if (fresh) m.state = MemberState::kLeft;  // on no list, not live: SetState below lists and counts it
  const uint8_t before = fresh ? 0 : Lists(m);
  m.endpoint = hb.endpoint;
  m.protocol = hb.protocol;
  if (builds_.Text(m.build) != hb.build) {
    const uint8_t build = builds_.Acquire(hb.build);
    builds_.Release(m.build);
    m.build = build;
  }
  if (!fresh) Relist(before, origin, m);
  // A forwarded heartbeat may be old; only a new member or a new
  // incarnation (a restart, which happened just now) counts as life.
  if (fresh || hb.incarnation > m.incarnation) m.last_seen = std::max(m.last_seen, now);
  const bool refutes = hb.incarnation > m.incarnation;
  m.incarnation = std::max(m.incarnation, hb.incarnation);
  if (fresh) SetState(origin, m, MemberState::kAlive, now);
  if (hb.leaving) {
    if (m.state != MemberState::kLeft) {
      SetState(origin, m, MemberState::kLeft, now);
      Emit(MemberEvent::Kind::kLeft, origin, m, now);
    }
    return;
  }
  if (m.state == MemberState::kLeft) {
    // Versions only grow, so an alive heartbeat after a leave is a rejoin.
    SetState(origin, m, MemberState::kAlive, now);
    Emit(MemberEvent::Kind::kJoined, origin, m, now);
    return;
  }
  if (m.state != MemberState::kAlive && (fresh || refutes)) {
    // A new incarnation refutes the suspicion or the failure.
    const bool was_failed = m.state == MemberState::kFailed;
    SetState(origin, m, MemberState::kAlive, now);
    if (was_failed) Emit(MemberEvent::Kind::kRecovered, origin, m, now);
  } else if (!had_address) {
    Emit(MemberEvent::Kind::kJoined, origin, m, now);
  }
}

void Membership::OnLiveness(NodeId id, uint32_t age_ms, TimePoint now) {
  if (id == self_) return;
  const TimePoint seen = now - std::chrono::milliseconds(age_ms);
  if (auto t = tombstones_.find(id); t != tombstones_.end()) {
    // News from before we forgot it is stale; news from after means it was
    // alive all along (a long partition): take it back.
    if (seen <= t->second.reaped_at) return;
    tombstones_.erase(t);
  }
  Member* found = members_.Find(id);
  if (found == nullptr) {
    // Someone vouches for a node we never heard of: take it in if the news
    // is fresh. kJoined waits for its heartbeat, which names its address.
    if (now - seen >= suspect_timeout() || members_.size() >= config_.max_nodes) return;
    auto [mp, fresh] = members_.TryEmplace(id);
    if (mp == nullptr) return;  // no room in the index
    mp->last_seen = seen;
    mp->state = MemberState::kLeft;  // as in OnHeartbeat
    SetState(id, *mp, MemberState::kAlive, now);
    return;
  }
  Member& m = *found;
  if (seen <= m.last_seen) return;
  m.last_seen = seen;
  if (m.state == MemberState::kLeft || m.state == MemberState::kAlive) return;
  if (now - seen >= suspect_timeout()) return;  // fresher, but still too old
  // Older than an accusation still standing: it does not answer it.
  if (!accusations_.empty() && accusations_.AccusedAfter(id, m.incarnation, seen)) return;
  const bool was_failed = m.state == MemberState::kFailed;
  SetState(id, m, MemberState::kAlive, now);
  if (was_failed) Emit(MemberEvent::Kind::kRecovered, id, m, now);
}

void Membership::OnSignOfLife(NodeId origin, const Endpoint& from, TimePoint now, uint32_t age_ms) {
  if (origin == self_) return;
  const bool was_forgotten = tombstones_.erase(origin) > 0;
  const bool known = members_.contains(origin);
  if (!known && members_.size() >= config_.max_nodes) return;
  OnLiveness(origin, age_ms, now);
  Member* mp = members_.Find(origin);
  if (mp == nullptr) return;  // no room in the index
  Member& m = *mp;
  if (!m.endpoint.valid() && from.valid()) {
    const uint8_t before = Lists(m);
    m.endpoint = from;
    Relist(before, origin, m);
    // A node we had forgotten is back (a partition longer than reap_after):
    // as for any recovered node, the Gossiper sends it our state.
    if (!known) Emit(was_forgotten ? MemberEvent::Kind::kRecovered : MemberEvent::Kind::kJoined, origin, m, now);
  }
}

size_t Membership::digest_items() const {
  const size_t want = (live_count() + 7) / 8;
  return std::clamp(want, config_.digest_items_min, config_.digest_items_max);
}

void Membership::FillDigest(TimePoint now, std::vector<LivenessItem>& out) {
  // `versions` is the Gossiper's to fill: it holds the entries.
  out.push_back(LivenessItem{self_, 0, 0});
  // Every live member, with an address or not: listing one whose address we
  // lack is also how we get its entries back (see the Gossiper's repair).
  // The window walks round the members' slots from where the last one
  // stopped (no list of them is kept: 8 bytes per peer per node).
  const size_t n = std::min(digest_items(), live_peers_count_);
  const uint32_t end = members_.slot_end();
  const size_t start = digest_cursor_;  // moves as members are taken
  size_t taken = 0;
  for (uint32_t k = 0; k < end && taken < n; ++k) {
    const uint32_t slot = static_cast<uint32_t>((start + k) % end);
    const Member* m = members_.FindSlot(slot);
    if (m == nullptr || (Lists(*m) & kDigestList) == 0) continue;
    out.push_back(LivenessItem{members_.IdOf(slot), DigestAgeMs(*m, now), 0});
    ++taken;
    digest_cursor_ = slot + 1;
  }
}

uint32_t Membership::DigestAgeMs(const Member& m, TimePoint now) {
  // Rounded up: news that goes round in circles must only get older, or
  // the rounding would keep a dead node alive a little longer each lap.
  const auto age = std::chrono::ceil<std::chrono::milliseconds>(now - m.last_seen);
  return static_cast<uint32_t>(std::clamp<int64_t>(age.count(), 0, kMaxDigestAgeMs));
}

bool Membership::Accepts(NodeId origin, bool is_heartbeat, uint64_t incarnation) const {
  auto it = tombstones_.find(origin);
  if (it == tombstones_.end()) return true;
  return is_heartbeat && incarnation > it->second.incarnation;
}

uint64_t Membership::TombstonedIncarnation(NodeId id) const {
  auto it = tombstones_.find(id);
  return it == tombstones_.end() ? 0 : it->second.incarnation;
}

std::vector<NodeId> Membership::Tick(TimePoint now) {
  std::vector<NodeId> reaped;
  suspects_.clear();
  const Duration suspect = suspect_timeout();
  const Duration fail = failure_timeout();
  members_.ForEachMutable([&](NodeId id, uint32_t slot, Member& m) {
    const Duration silent = now - m.last_seen;
    const bool grace = now < grace_until_;
    if (m.state == MemberState::kAlive && silent > suspect && !grace) {
      SetState(id, m, MemberState::kSuspect, now);
      Emit(MemberEvent::Kind::kSuspected, id, m, now);
    }
    if (m.state == MemberState::kSuspect && silent > fail && !grace) {
      SetState(id, m, MemberState::kFailed, now);
      Emit(MemberEvent::Kind::kFailed, id, m, now);
    }
    if ((m.state == MemberState::kFailed || m.state == MemberState::kLeft) &&
        now - m.state_since > config_.reap_after) {
      Emit(MemberEvent::Kind::kReaped, id, m, now);
      tombstones_[id] = Tombstone{m.incarnation, now, now + config_.tombstone_for};
      if (!accusations_.empty()) accusations_.Forget(id);
      reaped.push_back(id);
      live_dirty_ = true;
      builds_.Release(m.build);
      members_.EraseSlot(slot);
      return;
    }
    if (m.state == MemberState::kSuspect && m.endpoint.valid()) suspects_.push_back(id);
  });
  std::sort(suspects_.begin(), suspects_.end());
  std::erase_if(tombstones_, [&](const auto& kv) { return kv.second.until < now; });
  return reaped;
}

bool Membership::Accuse(NodeId id, TimePoint since, TimePoint now) {
  const Member* m = members_.Find(id);
  if (m == nullptr || m->state != MemberState::kAlive || m->last_seen >= since ||
      now < grace_until_) {
    return false;
  }
  if (!accusations_.Add(self_, Accusation{id, m->incarnation}, now)) return false;
  Emit(MemberEvent::Kind::kAccused, id, *m, now);
  return true;
}

void Membership::CheckAccusations(TimePoint now) {
  if (accusations_.empty()) return;
  const bool grace = now < grace_until_;
  const Duration timeout = accusation_timeout();
  for (NodeId id : accusations_.Accused()) {
    Member* m = members_.Find(id);
    if (m == nullptr || m->state == MemberState::kLeft) {
      // Gone, or left of its own accord: nothing to convict.
      accusations_.Forget(id);
      continue;
    }
    const auto heard = accusations_.Standing(id, m->incarnation, m->last_seen);
    if (!heard || grace) continue;
    if (m->state == MemberState::kAlive) {
      SetState(id, *m, MemberState::kSuspect, now);
      Emit(MemberEvent::Kind::kSuspected, id, *m, now);
    }
    if (m->state == MemberState::kSuspect && now - *heard >= timeout) {
      SetState(id, *m, MemberState::kFailed, now);
      Emit(MemberEvent::Kind::kFailed, id, *m, now);
    }
  }
}

void Membership::ForgiveStall(TimePoint now) { grace_until_ = now + failure_timeout() / 2; }

bool Membership::IsLive(NodeId id) const {
  if (id == self_) return true;
  const Member* m = members_.Find(id);
  return m != nullptr && (m->state == MemberState::kAlive || m->state == MemberState::kSuspect);
}

const Member* Membership::Find(NodeId id) const { return members_.Find(id); }

void Membership::RebuildCaches() const {
  live_cache_.clear();
  failed_cache_.clear();
  members_.ForEachSlot([&](uint32_t slot, const Member& m) {
    const uint8_t lists = Lists(m);
    if (lists & kLiveList) live_cache_.push_back(slot);
    if (lists & kFailedList) failed_cache_.push_back(slot);
  });
  live_dirty_ = false;
}

const Membership::MemberList& Membership::live_peers() const {
  if (live_dirty_) RebuildCaches();
  return live_cache_;
}

const Membership::MemberList& Membership::failed_peers() const {
  if (live_dirty_) RebuildCaches();
  return failed_cache_;
}

size_t Membership::live_count() const { return live_peers_count_ + 1; }

double Membership::Stretch() const {
  // News of life about a given peer leaves a node once per digest cycle
  // (live / items periods), so each hop waits about half a cycle, and it
  // takes about log_(fanout+1)(n) hops to reach everyone. Timeouts are
  // kept above three such spreads (two gave false failures at 512 nodes
  // and 5% loss in shoal-sim). Periods and hops are those of the exchange
  // at fan-out 3 with the same rate (GossipConfig::AtTimingFanout).
  const double n = static_cast<double>(live_count());
  const double cycle = n / static_cast<double>(digest_items());
  const double hops = std::ceil(std::log(n) / std::log(static_cast<double>(timing_.fanout) + 1));
  const double spread_s =
      (cycle / 2 + 1) * std::chrono::duration<double>(timing_.period).count() * hops;
  const double timeout_s = std::chrono::duration<double>(config_.failure_timeout).count();
  return std::max(1.0, 3 * spread_s / timeout_s);
}

Duration Membership::suspect_timeout() const {
  const Duration silence = std::chrono::duration_cast<Duration>(config_.suspect_timeout * Stretch());
  if (!AccusationsFaster()) return silence;
  // Where probes and accusations convict first, a crashed node is suspected
  // through its accusation within about a second; silence then suspects
  // only live nodes whose news is slow, and each such suspicion is
  // answered by probes whose answers take the place of gossip fan-out. So
  // silence waits three quarters of the failure by silence there.
  return std::max(silence, failure_timeout() * 3 / 4);
}
Duration Membership::failure_timeout() const {
  return std::chrono::duration_cast<Duration>(config_.failure_timeout * Stretch());
}

bool Membership::AccusationsFaster() const {
  // With probing off nobody accuses: silence is all there is.
  return config_.probe_interval != Duration::zero() &&
         config_.probe_timeout + accusation_timeout() < failure_timeout();
}

Duration Membership::accusation_timeout() const {
  const Duration waves = 4 * static_cast<int>(timing_.TtlFor(live_count())) * timing_.period;
  return std::max(config_.failure_timeout - config_.probe_timeout, waves);
}

}  // namespace shoal::gossip
