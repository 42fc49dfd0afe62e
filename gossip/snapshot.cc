#include "gossip/snapshot.h"

#include <algorithm>

#include "snapshot.pb.h"

namespace shoal::gossip {

SnapshotService::SnapshotService(const SnapshotConfig& config, Gossiper& gossiper, PeerStreams& streams,
                                 Clock& clock)
    : config_(config), gossiper_(gossiper), streams_(streams), clock_(clock) {
  if (config_.fanout == 0) config_.fanout = 1;
  streams_.Serve(StreamService::kSnapshot,
                 [this, alive = alive_](const StreamPeer&, std::string request, PeerStreams::Respond respond) {
                   if (!*alive) return respond(MakeError("shutting down"));
                   Receive(request, false);
                   respond(std::string());
                 });
}

SnapshotService::~SnapshotService() {
  *alive_ = false;
  streams_.Serve(StreamService::kSnapshot,
                 [](const StreamPeer&, std::string, PeerStreams::Respond respond) {
                   respond(MakeError("snapshots are not served here"));
                 });
}

bool SnapshotService::leading() const {
  const NodeId self = gossiper_.identity().id;
  for (const auto m : gossiper_.membership().live_peers()) {
    if (m.id < self) return false;
  }
  return true;
}

bool SnapshotService::fresh() const {
  return current_ && clock_.Now() - current_->installed_at <= config_.period * config_.stale_after_periods;
}

void SnapshotService::Tick() {
  const TimePoint now = clock_.Now();
  if (!leading()) {
    next_take_ = TimePoint::min();
    return;
  }
  if (next_take_ == TimePoint::min()) {
    // Just became the leader: continue the predecessor's rhythm if its last
    // snapshot is recent, else start now.
    next_take_ = current_ ? std::max(now, current_->installed_at + config_.period) : now;
  }
  if (now < next_take_) return;
  next_take_ = now + config_.period;
  Take();
}

void SnapshotService::Take() {
  wire::Snapshot s;
  s.set_epoch(highest_epoch_ + 1);
  const NodeIdentity& me = gossiper_.identity();
  s.set_leader(me.id.value);
  std::vector<std::pair<NodeId, Endpoint>> members{{me.id, me.advertise}};
  for (const auto m : gossiper_.membership().live_peers()) {
    if (m->endpoint.valid()) members.emplace_back(m.id, m->endpoint);
  }
  std::sort(members.begin(), members.end());
  for (const auto& [id, ep] : members) {
    auto* w = s.add_members();
    w->set_id(id.value);
    w->set_ip(ep.ip);
    w->set_port(ep.port);
  }
  // A delta against this leader's previous epoch, unless a full one is due.
  const bool delta = current_ && current_->leader == me.id && current_->epoch == highest_epoch_ &&
                     deltas_since_full_ + 1 < config_.full_every;
  if (delta) {
    s.set_base_epoch(current_->epoch);
    ++deltas_since_full_;
  } else {
    deltas_since_full_ = 0;
  }
  for (uint32_t code : gossiper_.ChannelsWith(kSnapshot)) {
    auto* ch = s.add_channels();
    ch->set_code(code);
    std::vector<std::pair<NodeId, const StoredEntry*>> entries;
    gossiper_.View(code).ForEach([&](NodeId origin, const StoredEntry& e) { entries.emplace_back(origin, &e); });
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::map<NodeId, SnapshotEntryValue>* before = nullptr;
    if (delta) {
      auto it = current_->channels.find(code);
      if (it != current_->channels.end()) before = &it->second;
    }
    for (const auto& [origin, e] : entries) {
      if (before != nullptr) {
        auto old = before->find(origin);
        if (old != before->end() && old->second.version == e->version) continue;  // unchanged
      }
      auto* w = ch->add_entries();
      w->set_origin(origin.value);
      w->set_version(e->version);
      w->set_payload(e->payload.str());
    }
    if (before != nullptr) {
      for (const auto& [origin, value] : *before) {
        auto now = std::lower_bound(entries.begin(), entries.end(), origin,
                                    [](const auto& a, NodeId id) { return a.first < id; });
        if (now == entries.end() || now->first != origin) ch->add_removed(origin.value);
      }
    }
  }
  std::string bytes = s.SerializeAsString();
  if (bytes.size() > config_.max_bytes || bytes.size() > kMaxStreamMessage) {
    ++counters_.malformed;
    return;
  }
  ++counters_.taken;
  Receive(bytes, true);
}

bool SnapshotService::Receive(const std::string& bytes, bool own) {
  wire::Snapshot s;
  if (!s.ParseFromString(bytes) || s.epoch() == 0 || s.members_size() == 0 ||
      s.members(0).id() != s.leader()) {
    ++counters_.malformed;
    return false;
  }
  std::vector<NodeId> members;
  std::vector<Endpoint> endpoints;
  for (const auto& m : s.members()) {
    if (!members.empty() && NodeId{m.id()} <= members.back()) {  // sorted, no duplicates
      ++counters_.malformed;
      return false;
    }
    members.push_back(NodeId{m.id()});
    endpoints.push_back(Endpoint{m.ip(), static_cast<uint16_t>(m.port())});
  }
  highest_epoch_ = std::max(highest_epoch_, s.epoch());
  const NodeId leader{s.leader()};
  const bool newer = !current_ || s.epoch() > current_->epoch ||
                     (s.epoch() == current_->epoch && leader < current_->leader);
  if (!newer && !own) {
    ++counters_.ignored;
    return false;
  }
  Snapshot snap;
  if (s.base_epoch() != 0) {
    // A delta: applies only on top of the epoch it was computed against.
    if (!current_ || current_->epoch != s.base_epoch() || current_->leader != leader) {
      ++counters_.missing_base;
      return false;
    }
    snap.channels = current_->channels;
  }
  snap.epoch = s.epoch();
  snap.leader = leader;
  snap.members = members;
  snap.installed_at = clock_.Now();
  for (const auto& ch : s.channels()) {
    auto& by_origin = snap.channels[ch.code()];
    for (uint64_t gone : ch.removed()) by_origin.erase(NodeId{gone});
    for (const auto& e : ch.entries()) by_origin[NodeId{e.origin()}] = {e.version(), e.payload()};
  }
  current_ = std::move(snap);
  ++counters_.installed;
  Forward(bytes, members, endpoints);
  if (listener_) listener_(*current_);
  return true;
}

void SnapshotService::Forward(const std::string& bytes, const std::vector<NodeId>& members,
                              const std::vector<Endpoint>& endpoints) {
  auto me = std::lower_bound(members.begin(), members.end(), gossiper_.identity().id);
  if (me == members.end() || *me != gossiper_.identity().id) return;  // not in its tree
  const size_t i = static_cast<size_t>(me - members.begin());
  for (size_t c = i * config_.fanout + 1; c <= i * config_.fanout + config_.fanout && c < members.size(); ++c) {
    ++counters_.forwarded;
    streams_.Call(endpoints[c], StreamService::kSnapshot, bytes, config_.forward_timeout,
                  [this, alive = alive_](Result<std::string> r) {
                    if (*alive && !r.ok()) ++counters_.forward_failures;
                  });
  }
}

}  // namespace shoal::gossip
