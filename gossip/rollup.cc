#include "gossip/rollup.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "core/clock_version.h"
#include "gossip/part_delta.h"
#include "rollup.pb.h"

namespace shoal::gossip {
namespace {

// Parts smaller than this go whole: a delta would save a few bytes for the
// cost of compressing (in the simulated pools most parts, a single node's,
// stay under it: 22-29% of the parts received travel as deltas).
constexpr size_t kDeltaFrom = 512;

bool ValidKey(uint32_t level) { return level <= ZoneKey::kLeafLevel; }

// Whether `d` has passed since `since` (never set: TimePoint::min()).
bool Passed(TimePoint since, TimePoint now, Duration d) { return since == TimePoint::min() || now - since >= d; }

// The representatives of the zones right under those `self` represents.
std::vector<NodeId> ChildReps(const std::vector<ZoneLink>& chain, NodeId self) {
  std::vector<NodeId> reps;
  for (const ZoneLink& z : chain) {
    if (z.rep != self) continue;
    for (NodeId r : z.child_reps) {
      if (r != self) reps.push_back(r);
    }
  }
  std::sort(reps.begin(), reps.end());
  reps.erase(std::unique(reps.begin(), reps.end()), reps.end());
  return reps;
}

}  // namespace

Rollup::Rollup(const RollupConfig& config, Gossiper& gossiper, PeerStreams& streams, Clock& clock, Merge merge,
               Whole whole)
    : config_(config),
      gossiper_(gossiper),
      streams_(streams),
      clock_(clock),
      merge_(std::move(merge)),
      whole_(std::move(whole)),
      self_(gossiper.identity().id) {
  streams_.Serve(StreamService::kRollup,
                 [this, alive = alive_](const StreamPeer& from, std::string request, PeerStreams::Respond respond) {
                   if (!*alive) return respond(MakeError("shutting down"));
                   Receive(from, request, std::move(respond));
                 });
  gossiper_.AddMemberListener([this, alive = alive_](const MemberEvent& ev) {
    if (*alive && ev.kind != MemberEvent::Kind::kSuspected && ev.kind != MemberEvent::Kind::kAccused) {
      tree_dirty_ = true;
    }
  });
}

Rollup::~Rollup() {
  *alive_ = false;
  streams_.Serve(StreamService::kRollup, [](const StreamPeer&, std::string, PeerStreams::Respond respond) {
    respond(MakeError("roll-up parts are not taken here"));
  });
}

void Rollup::SetOwn(std::string part) {
  if (chain_.empty()) Rebuild();
  Held& leaf = held_[chain_.front().zone];
  if (leaf.merged == part) return;
  leaf.merged = std::move(part);
  leaf.pending = true;
}

void Rollup::Rebuild() {
  const std::vector<NodeId> reps_before = ChildReps(chain_, self_);
  std::vector<NodeId> live;
  for (const auto m : gossiper_.membership().live_peers()) live.push_back(m.id);
  barred_ = gossiper_.membership().suspects();
  chain_ = ZoneChain(self_, live, barred_);
  std::map<ZoneKey, Held> held;
  for (const ZoneLink& z : chain_) {
    if (z.rep != self_) continue;
    auto it = held_.find(z.zone);
    Held& h = held[z.zone] = it != held_.end() ? std::move(it->second) : Held{};
    if (it == held_.end()) h.taken = clock_.Now();
    h.under = z.children;
    h.dirty = true;
    h.pending = true;  // the tree above may have changed: pass it on again
    if (z.zone.level == ZoneKey::kLeafLevel) continue;
    for (auto c = h.children.begin(); c != h.children.end();) {
      if (std::binary_search(h.under.begin(), h.under.end(), c->first)) {
        ++c;
      } else {
        c = h.children.erase(c);
        ++counters_.moved;
      }
    }
  }
  held_ = std::move(held);
  tree_dirty_ = false;
  // A zone under this node with a new representative (its old one
  // suspected, failed or gone) gets what came down at once: waiting for
  // its first part to come up left the nodes below a crashed
  // representative without the levels for a roll-up period more.
  std::vector<NodeId> fresh;
  std::ranges::set_difference(ChildReps(chain_, self_), reps_before, std::back_inserter(fresh));
  if (!fresh.empty()) PassDown(fresh);
}

void Rollup::Tick() {
  const TimePoint now = clock_.Now();
  // Suspicions come and go without a member event: a changed set of
  // suspects moves the representations they held.
  if (tree_dirty_ || chain_.empty() || gossiper_.membership().suspects() != barred_) Rebuild();
  Expire(now);
  for (size_t i = 0; i < chain_.size(); ++i) {
    if (chain_[i].rep == self_) Pass(i, now);
  }
}

void Rollup::Expire(TimePoint now) {
  for (auto& [key, held] : held_) {
    for (auto it = held.children.begin(); it != held.children.end();) {
      if (now - it->second.received <= config_.expire) {
        ++it;
        continue;
      }
      it = held.children.erase(it);
      held.dirty = true;
      ++counters_.expired;
    }
  }
}

void Rollup::Pass(size_t i, TimePoint now) {
  Held& held = held_[chain_[i].zone];
  if (i > 0 && held.dirty) {
    std::vector<const std::string*> parts;
    parts.reserve(held.children.size());
    for (const auto& [key, child] : held.children) parts.push_back(&child.part);
    std::string merged = parts.empty() ? std::string() : merge_(parts);
    if (merged != held.merged) {
      held.merged = std::move(merged);
      held.pending = true;
    }
    held.dirty = false;
  }
  if (held.merged.empty()) return;  // nothing known yet
  // Newly represented: not before every zone under it has sent its part, or a refresh.
  if (i > 0 && held.children.size() < held.under.size() && !Passed(held.taken, now, config_.refresh)) return;
  if (i + 1 == chain_.size()) {  // the pool's
    if (held.pending && Passed(held.sent_at, now, config_.whole_every)) {
      held.pending = false;
      held.sent_at = now;
      ++counters_.wholes;
      whole_(held.merged);
    }
    return;
  }
  const ZoneLink& parent = chain_[i + 1];
  if (parent.rep == self_) {  // handed over in place, each tick
    Held& up = held_[parent.zone];
    Child& c = up.children[chain_[i].zone];
    c.from = self_;
    if (held.pending) {
      c.part = held.merged;
      up.dirty = true;
      held.pending = false;
    }
    c.received = now;
    return;
  }
  const bool due = held.pending || held.sent_to != parent.rep;  // a new representative above hears at once
  if ((due && Passed(held.sent_at, now, config_.period)) || Passed(held.sent_at, now, config_.refresh)) {
    Send(i, held, now);
  }
}

void Rollup::Send(size_t i, Held& held, TimePoint now) {
  const ZoneLink& parent = chain_[i + 1];
  held.pending = false;
  held.sent_to = parent.rep;
  held.sent_at = now;
  const Member* rep = gossiper_.membership().Find(parent.rep);
  ++counters_.sent;
  if (rep == nullptr || !rep->endpoint.valid()) {
    ++counters_.send_failures;
    return;
  }
  wire::RollupPart msg;
  msg.set_parent_level(parent.zone.level);
  msg.set_parent_prefix(parent.zone.prefix);
  msg.set_child_level(chain_[i].zone.level);
  msg.set_child_prefix(chain_[i].zone.prefix);
  std::optional<std::string> delta;
  if (held.acked_by == parent.rep && !held.acked.empty() && held.merged.size() >= kDeltaFrom) {
    delta = EncodeDelta(held.acked, held.merged);
  }
  if (delta) {
    ++counters_.deltas_sent;
    counters_.bytes_sent += delta->size();
    msg.set_part_delta(std::move(*delta));
  } else {
    counters_.bytes_sent += held.merged.size();
    msg.set_part(held.merged);
  }
  const uint64_t send = ++held.sends;
  streams_.Call(rep->endpoint, StreamService::kRollup, msg.SerializeAsString(), config_.call_timeout,
                [this, alive = alive_, zone = chain_[i].zone, to = parent.rep, send,
                 part = held.merged](Result<std::string> reply) mutable {
                  if (*alive) SendDone(zone, to, send, std::move(part), reply.ok());
                });
}

void Rollup::SendDone(const ZoneKey& zone, NodeId to, uint64_t send, std::string part, bool ok) {
  auto it = held_.find(zone);
  if (!ok) ++counters_.send_failures;
  if (it == held_.end()) return;
  Held& held = it->second;
  if (!ok) {
    // Sent again, whole, at the next period rather than the next refresh.
    held.pending = true;
    held.acked.clear();
    return;
  }
  if (send < held.acked_send) return;  // a later send's reply came first
  held.acked = std::move(part);
  held.acked_by = to;
  held.acked_send = send;
}

Result<std::string> Rollup::PartOf(wire::RollupPart& msg, const Held& held, const ZoneKey& child) {
  if (msg.part_delta().empty()) return std::move(*msg.mutable_part());
  auto c = held.children.find(child);
  Result<std::string> part = c == held.children.end()
                                 ? Result<std::string>(MakeError("a part's delta is from a part not held here"))
                                 : ApplyDelta(c->second.part, msg.part_delta(), config_.max_part_bytes);
  if (!part.ok()) {
    ++counters_.deltas_refused;
    return MakeError("zone {}/{:x}: {}", child.level, child.prefix, part.error().message);
  }
  ++counters_.deltas_received;
  return part;
}

void Rollup::Receive(const StreamPeer& from, const std::string& request, PeerStreams::Respond respond) {
  wire::RollupPart msg;
  if (request.size() > config_.max_part_bytes + 64 || !msg.ParseFromString(request)) {
    ++counters_.refused;
    return respond(MakeError("malformed roll-up part"));
  }
  if (msg.down_from() != 0) return ReceiveDown(msg, std::move(respond));
  if (!ValidKey(msg.parent_level()) || !ValidKey(msg.child_level()) || msg.child_level() <= msg.parent_level() ||
      (msg.part().empty() == msg.part_delta().empty())) {
    ++counters_.refused;
    return respond(MakeError("malformed roll-up part"));
  }
  if (tree_dirty_) Rebuild();
  const ZoneKey parent{static_cast<uint8_t>(msg.parent_level()), msg.parent_prefix()};
  auto it = held_.find(parent);
  if (it == held_.end() || parent.level == ZoneKey::kLeafLevel) {
    ++counters_.refused;
    return respond(MakeError("this node does not represent zone {}/{:x}", parent.level, parent.prefix));
  }
  Held& held = it->second;
  const ZoneKey child{static_cast<uint8_t>(msg.child_level()), msg.child_prefix()};
  if (!std::binary_search(held.under.begin(), held.under.end(), child)) {
    ++counters_.refused;
    return respond(MakeError("zone {}/{:x} is not right under zone {}/{:x} here", child.level, child.prefix,
                             parent.level, parent.prefix));
  }
  auto c = held.children.find(child);
  if (c == held.children.end() && held.children.size() >= config_.max_children) {
    ++counters_.refused;
    return respond(MakeError("zone {}/{:x} holds {} parts already", parent.level, parent.prefix, held.children.size()));
  }
  const size_t wire_bytes = msg.part().size() + msg.part_delta().size();
  Result<std::string> part = PartOf(msg, held, child);
  if (!part.ok()) {
    ++counters_.refused;
    return respond(part.error());
  }
  ++counters_.received;
  counters_.bytes_received += wire_bytes;
  counters_.part_bytes_received += part->size();
  Child& slot = held.children[child];
  if (slot.part != *part) {
    slot.part = std::move(*part);
    held.dirty = true;
  }
  slot.received = clock_.Now();
  const bool new_sender = slot.from != from.id;
  slot.from = from.id;
  respond(std::string());
  if (new_sender) PassDown({from.id});  // what came down before it was here
}

void Rollup::SendDown(std::string bytes) {
  if (down_from_ == self_ && bytes == down_bytes_) return;  // every node has these (or gets them as it joins)
  // Numbered by the clock, so that a restarted daemon's versions still come
  // after its earlier ones; under its boot counter, for a host whose clock
  // began again.
  down_seq_ = ClockVersion(down_seq_, clock_.Now());
  down_boot_ = gossiper_.identity().boot;
  down_from_ = self_;
  down_bytes_ = std::move(bytes);
  PassDown(Children());
}

void Rollup::ReceiveDown(wire::RollupPart& msg, PeerStreams::Respond respond) {
  if (msg.down().empty() || msg.down().size() > config_.max_part_bytes) {
    ++counters_.refused;
    return respond(MakeError("malformed roll-up part"));
  }
  respond(std::string());
  if (tree_dirty_) Rebuild();
  const NodeId origin{msg.down_from()};
  const bool newer = std::pair(msg.down_boot(), msg.down_seq()) > std::pair(down_boot_, down_seq_);
  if (origin != pool_rep() || origin == self_ || (origin == down_from_ && !newer)) {
    ++counters_.down_ignored;
    return;
  }
  down_from_ = origin;
  down_boot_ = msg.down_boot();
  down_seq_ = msg.down_seq();
  down_bytes_ = std::move(*msg.mutable_down());
  ++counters_.down_heard;
  counters_.down_bytes_received += down_bytes_.size();
  PassDown(Children());
  if (down_) down_(down_bytes_);
}

std::vector<NodeId> Rollup::Children() const {
  std::vector<NodeId> to = ChildReps(chain_, self_);
  for (const auto& [key, held] : held_) {
    for (const auto& [zone, child] : held.children) {
      if (child.from.valid() && child.from != self_) to.push_back(child.from);
    }
  }
  std::sort(to.begin(), to.end());
  to.erase(std::unique(to.begin(), to.end()), to.end());
  return to;
}

void Rollup::PassDown(const std::vector<NodeId>& to) {
  if (down_bytes_.empty() || down_from_ != pool_rep()) return;
  wire::RollupPart msg;
  msg.set_down_from(down_from_.value);
  msg.set_down_seq(down_seq_);
  msg.set_down_boot(down_boot_);
  msg.set_down(down_bytes_);
  const std::string request = msg.SerializeAsString();
  for (NodeId id : to) {
    const Member* m = gossiper_.membership().Find(id);
    if (m == nullptr || !m->endpoint.valid()) continue;
    ++counters_.down_sent;
    counters_.down_bytes_sent += down_bytes_.size();
    // Not sent again when lost: a newer version follows within the
    // owner's period, and the owner's slower way covers the rest.
    streams_.Call(m->endpoint, StreamService::kRollup, request, config_.call_timeout, [](Result<std::string>) {});
  }
}

}  // namespace shoal::gossip
