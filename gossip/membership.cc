#include "gossip/membership.h"

#include <algorithm>

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
  }
  return "?";
}

std::string EncodeHeartbeat(const Heartbeat& h) {
  wire::Heartbeat w;
  w.set_incarnation(h.incarnation);
  w.set_ip(h.endpoint.ip);
  w.set_port(h.endpoint.port);
  w.set_status(h.leaving ? wire::MEMBER_STATUS_LEAVING : wire::MEMBER_STATUS_ALIVE);
  w.set_beat(h.beat);
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
  return Heartbeat{w.incarnation(), Endpoint{w.ip(), static_cast<uint16_t>(w.port())},
                   w.status() == wire::MEMBER_STATUS_LEAVING, w.beat()};
}

Membership::Membership(NodeId self, const GossipConfig& config) : self_(self), config_(config) {}

void Membership::Emit(MemberEvent::Kind kind, const Member& m, TimePoint now) {
  if (listener_) listener_(MemberEvent{kind, m.id, m.endpoint, now});
}

void Membership::SetState(Member& m, MemberState s, TimePoint now) {
  const bool was_live = m.state == MemberState::kAlive || m.state == MemberState::kSuspect;
  const bool is_live = s == MemberState::kAlive || s == MemberState::kSuspect;
  if (was_live != is_live) live_peers_count_ += is_live ? 1 : -1;
  if (m.state != s) live_dirty_ = true;
  m.state = s;
  m.state_since = now;
}

void Membership::OnHeartbeat(NodeId origin, const Heartbeat& hb, TimePoint now) {
  if (origin == self_) return;
  tombstones_.erase(origin);
  auto [it, fresh] = members_.try_emplace(origin);
  Member& m = it->second;
  if (fresh) {
    m.id = origin;
    m.state = MemberState::kFailed;  // so SetState counts it as becoming live
  }
  if (m.endpoint != hb.endpoint) live_dirty_ = true;
  m.endpoint = hb.endpoint;
  m.incarnation = std::max(m.incarnation, hb.incarnation);
  m.last_seen = now;
  if (hb.leaving) {
    if (m.state != MemberState::kLeft) {
      if (fresh) SetState(m, MemberState::kAlive, now);
      SetState(m, MemberState::kLeft, now);
      Emit(MemberEvent::Kind::kLeft, m, now);
    }
    return;
  }
  if (m.state == MemberState::kLeft) {
    // Versions only grow, so an alive heartbeat after a leave is a rejoin.
    SetState(m, MemberState::kAlive, now);
    Emit(MemberEvent::Kind::kJoined, m, now);
    return;
  }
  OnSignOfLife(origin, now);
  if (fresh) Emit(MemberEvent::Kind::kJoined, m, now);
}

void Membership::OnSignOfLife(NodeId origin, TimePoint now) {
  if (origin == self_ || tombstones_.contains(origin)) return;
  auto [it, fresh] = members_.try_emplace(origin);
  Member& m = it->second;
  m.last_seen = now;
  if (fresh) {
    m.id = origin;
    m.state = MemberState::kFailed;
    SetState(m, MemberState::kAlive, now);
    return;  // kJoined is announced once its address is known (heartbeat)
  }
  if (m.state == MemberState::kLeft) return;  // only a new heartbeat revives it
  if (m.state != MemberState::kAlive) {
    const bool was_failed = m.state == MemberState::kFailed;
    SetState(m, MemberState::kAlive, now);
    if (was_failed) Emit(MemberEvent::Kind::kRecovered, m, now);
  }
}

bool Membership::Accepts(NodeId origin, bool is_heartbeat, uint64_t incarnation) const {
  auto it = tombstones_.find(origin);
  if (it == tombstones_.end()) return true;
  return is_heartbeat && incarnation > it->second.first;
}

std::vector<NodeId> Membership::Tick(TimePoint now) {
  std::vector<NodeId> reaped;
  const Duration suspect = suspect_timeout();
  const Duration fail = failure_timeout();
  for (auto it = members_.begin(); it != members_.end();) {
    Member& m = it->second;
    const Duration silent = now - m.last_seen;
    if (m.state == MemberState::kAlive && silent > suspect) {
      SetState(m, MemberState::kSuspect, now);
      Emit(MemberEvent::Kind::kSuspected, m, now);
    }
    if (m.state == MemberState::kSuspect && silent > fail) {
      SetState(m, MemberState::kFailed, now);
      Emit(MemberEvent::Kind::kFailed, m, now);
    }
    if ((m.state == MemberState::kFailed || m.state == MemberState::kLeft) &&
        now - m.state_since > config_.reap_after) {
      Emit(MemberEvent::Kind::kReaped, m, now);
      tombstones_[m.id] = {m.incarnation, now + config_.tombstone_for};
      reaped.push_back(m.id);
      live_dirty_ = true;
      it = members_.erase(it);
      continue;
    }
    ++it;
  }
  std::erase_if(tombstones_, [&](const auto& kv) { return kv.second.second < now; });
  return reaped;
}

void Membership::ForgiveStall(Duration gap) {
  for (auto& [id, m] : members_) m.last_seen += gap;
}

bool Membership::IsLive(NodeId id) const {
  if (id == self_) return true;
  auto it = members_.find(id);
  return it != members_.end() &&
         (it->second.state == MemberState::kAlive || it->second.state == MemberState::kSuspect);
}

const Member* Membership::Find(NodeId id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

void Membership::RebuildCaches() const {
  live_cache_.clear();
  failed_cache_.clear();
  for (const auto& [id, m] : members_) {
    if (!m.endpoint.valid()) continue;
    if (m.state == MemberState::kAlive || m.state == MemberState::kSuspect) {
      live_cache_.push_back(&m);
    } else if (m.state == MemberState::kFailed) {
      failed_cache_.push_back(&m);
    }
  }
  auto by_id = [](const Member* a, const Member* b) { return a->id < b->id; };
  std::sort(live_cache_.begin(), live_cache_.end(), by_id);
  std::sort(failed_cache_.begin(), failed_cache_.end(), by_id);
  live_dirty_ = false;
}

const std::vector<const Member*>& Membership::live_peers() const {
  if (live_dirty_) RebuildCaches();
  return live_cache_;
}

const std::vector<const Member*>& Membership::failed_peers() const {
  if (live_dirty_) RebuildCaches();
  return failed_cache_;
}

size_t Membership::live_count() const { return live_peers_count_ + 1; }

double Membership::Stretch() const {
  const double base_s = std::chrono::duration<double>(config_.heartbeat_interval).count();
  const double needed_s = static_cast<double>(live_count()) / config_.heartbeat_budget;
  return std::max(1.0, needed_s / base_s);
}

Duration Membership::heartbeat_interval() const {
  return std::chrono::duration_cast<Duration>(config_.heartbeat_interval * Stretch());
}
Duration Membership::suspect_timeout() const {
  return std::chrono::duration_cast<Duration>(config_.suspect_timeout * Stretch());
}
Duration Membership::failure_timeout() const {
  return std::chrono::duration_cast<Duration>(config_.failure_timeout * Stretch());
}

}  // namespace shoal::gossip
