#include "gossip/sim/sim_network.h"

#include <cassert>

namespace shoal::gossip {

SimNetwork::SimNetwork(ManualClock& clock, uint64_t seed) : clock_(clock), random_(seed) {}
SimNetwork::~SimNetwork() = default;

SimTransport& SimNetwork::AddNode() {
  const size_t i = nodes_.size();
  // 127.1.0.1, 127.1.0.2, ...: loopback range, never a real socket.
  const Endpoint e{(127u << 24) + (1u << 16) + static_cast<uint32_t>(i + 1), 7946};
  nodes_.push_back(std::make_unique<SimTransport>(*this, e));
  index_[e] = i;
  state_.emplace_back();
  return *nodes_.back();
}

void SimNetwork::SetLink(const Endpoint& a, const Endpoint& b, const LinkModel& link) {
  links_[{a, b}] = link;
}

void SimNetwork::SetGroup(const Endpoint& node, int group) {
  if (auto it = index_.find(node); it != index_.end()) state_[it->second].group = group;
}

void SimNetwork::Heal() {
  for (auto& s : state_) s.group = 0;
}

void SimNetwork::SetDown(const Endpoint& node, bool down) {
  if (auto it = index_.find(node); it != index_.end()) state_[it->second].down = down;
}

bool SimNetwork::IsDown(const Endpoint& node) const {
  auto it = index_.find(node);
  return it == index_.end() || state_[it->second].down;
}

void SimNetwork::StallUntil(const Endpoint& node, TimePoint until) {
  if (auto it = index_.find(node); it != index_.end()) state_[it->second].stalled_until = until;
}

bool SimNetwork::IsStalled(const Endpoint& node) const {
  auto it = index_.find(node);
  return it != index_.end() && clock_.Now() < state_[it->second].stalled_until;
}

void SimNetwork::Schedule(TimePoint at, std::function<void()> fn) {
  if (at < clock_.Now()) at = clock_.Now();
  queue_.push(Event{at, seq_++, std::move(fn)});
}

void SimNetwork::RunUntil(TimePoint until) {
  while (!queue_.empty() && queue_.top().at <= until) {
    // Move the event out before running it: it may schedule more.
    Event ev = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    clock_.Set(ev.at);
    ev.fn();
  }
  if (clock_.Now() < until) clock_.Set(until);
}

bool SimNetwork::Reachable(const Endpoint& a, const Endpoint& b) const {
  auto ai = index_.find(a), bi = index_.find(b);
  if (ai == index_.end() || bi == index_.end()) return false;
  const NodeState& sa = state_[ai->second];
  const NodeState& sb = state_[bi->second];
  return !sa.down && !sb.down && sa.group == sb.group;
}

Duration SimNetwork::Delay(const Endpoint& a, const Endpoint& b) {
  auto link_it = links_.find({a, b});
  const LinkModel& link = link_it == links_.end() ? default_link_ : link_it->second;
  return link.latency + random_.Between(Duration::zero(), link.jitter);
}

TimePoint SimNetwork::StalledUntil(const Endpoint& node) const {
  auto it = index_.find(node);
  return it == index_.end() ? TimePoint::min() : state_[it->second].stalled_until;
}

void SimNetwork::Send(const Endpoint& from, const Endpoint& to,
                      std::span<const uint8_t> datagram) {
  ++stats_.sent;
  stats_.bytes += datagram.size();
  auto to_it = index_.find(to);
  auto from_it = index_.find(from);
  if (to_it == index_.end() || from_it == index_.end()) {
    ++stats_.to_down;
    return;
  }
  if (state_[to_it->second].group != state_[from_it->second].group) {
    ++stats_.partitioned;
    return;
  }
  auto link_it = links_.find({from, to});
  const LinkModel& link = link_it == links_.end() ? default_link_ : link_it->second;
  if (random_.Chance(link.loss)) {
    ++stats_.lost;
    return;
  }
  auto bytes = std::make_shared<const std::string>(
      reinterpret_cast<const char*>(datagram.data()), datagram.size());
  const int copies = random_.Chance(link.duplicate) ? 2 : 1;
  if (copies == 2) ++stats_.duplicated;
  for (int c = 0; c < copies; ++c) {
    const TimePoint at =
        clock_.Now() + link.latency + random_.Between(Duration::zero(), link.jitter);
    Schedule(at, [this, from, to, bytes] { Deliver(from, to, bytes, false, TimePoint{}); });
  }
}

void SimNetwork::Deliver(const Endpoint& from, const Endpoint& to,
                         const std::shared_ptr<const std::string>& bytes, bool held, TimePoint arrived) {
  const size_t i = index_.at(to);
  NodeState& st = state_[i];
  if (held) --st.held;
  if (st.down) {
    ++stats_.to_down;
    return;
  }
  if (clock_.Now() < st.stalled_until) {
    if (st.held >= kStallBuffer) {
      ++stats_.overflowed;
      return;
    }
    ++st.held;
    const TimePoint held_at = held ? arrived : clock_.Now();  // held again: keep its arrival
    Schedule(st.stalled_until, [this, from, to, bytes, held_at] { Deliver(from, to, bytes, true, held_at); });
    return;
  }
  ++stats_.delivered;
  stats_.delivered_bytes += bytes->size();
  SimTransport& t = *nodes_[i];
  if (t.receiver_) {
    t.receiver_(from,
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
                held ? clock_.Now() - arrived : Duration::zero());
  }
}

}  // namespace shoal::gossip
