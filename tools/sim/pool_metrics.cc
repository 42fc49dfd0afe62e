#include "tools/sim/pool_metrics.h"

#include <algorithm>

#include "core/percentile.h"

namespace shoal::sim {

using gossip::MemberEvent;
using gossip::SimPool;

PoolMetrics::PoolMetrics(SimPool& pool, uint32_t channel, size_t probes)
    : pool_(pool),
      channel_(channel),
      probes_(std::min(probes, pool.size())),
      pending_(probes_),
      published_(probes_),
      highest_(pool.size(), std::vector<uint64_t>(probes_, 0)) {
  run_start_ = pool.clock().Now();
}

void PoolMetrics::OnPublish(size_t origin, uint64_t version, TimePoint at) {
  if (origin >= probes_) return;
  published_[origin].emplace_back(version, at);
  if (!measuring_) return;
  size_t target = 0;
  for (size_t i = 0; i < pool_.size(); ++i) target += i != origin && pool_.running(i);
  pending_[origin].push_back(Pending{version, at, 0, target});
}

void PoolMetrics::OnStored(size_t node, uint32_t channel, NodeId origin, uint64_t version) {
  if (channel != channel_) return;
  const size_t p = SimPool::IndexOf(origin);
  if (p >= probes_ || node == p) return;
  uint64_t& high = highest_[node][p];
  const uint64_t before = high;
  if (version <= before) return;
  high = version;
  const TimePoint now = pool_.clock().Now();
  auto& q = pending_[p];
  for (auto it = q.begin(); it != q.end();) {
    if (it->version > before && it->version <= version) {
      ++it->reached;
      it->last_reached = now;
    }
    it = Completed(*it) ? q.erase(it) : std::next(it);
  }
}

bool PoolMetrics::Completed(const Pending& p) {
  if (p.reached < p.target) return false;
  dissemination_ms_.push_back(p.reached == 0 ? 0 : ToMillis(p.last_reached - p.published));
  return true;
}

void PoolMetrics::OnMemberEvent(size_t node, const MemberEvent& ev) {
  const size_t subject = SimPool::IndexOf(ev.id);
  const bool fine = measuring_ && !crashed_.contains(subject) && !stalled_.contains(subject);
  if (ev.kind == MemberEvent::Kind::kSuspected) {
    false_suspicions_ += fine;
    return;
  }
  if (ev.kind == MemberEvent::Kind::kAccused) {
    false_accusations_ += fine;
    return;
  }
  if (ev.kind != MemberEvent::Kind::kFailed) return;
  auto crash = crashed_.find(subject);
  if (crash != crashed_.end()) {
    if (detected_.insert({subject, node}).second) {
      detection_ms_.push_back(ToMillis(ev.at - crash->second));
    }
  } else if (stalled_.contains(subject)) {
    ++stalled_failed_;
  } else if (measuring_) {
    ++false_failures_;
  }
}

void PoolMetrics::BeginWindow() {
  measuring_ = true;
  window_start_ = pool_.clock().Now();
  const auto& st = pool_.network().stats();
  bytes_at_start_ = st.bytes + st.delivered_bytes;
  packets_at_start_ = st.sent + st.delivered;
  entries_at_start_.assign(pool_.size(), {0, 0});
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (!pool_.running(i)) continue;
    const auto& c = pool_.node(i).counters();
    entries_at_start_[i] = {c.entries_received, c.entries_new};
  }
}

void PoolMetrics::SampleFreshness() {
  const TimePoint now = pool_.clock().Now();
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (!pool_.running(i)) continue;
    for (size_t p = 0; p < probes_; ++p) {
      if (p == i || !pool_.running(p) || published_[p].empty()) continue;
      const uint64_t held = highest_[i][p];
      const auto& pub = published_[p];
      // The time the held version was published (the first one if older).
      auto it = std::upper_bound(pub.begin(), pub.end(), std::make_pair(held, TimePoint::max()));
      const TimePoint at = it == pub.begin() ? pub.front().second : std::prev(it)->second;
      freshness_ms_.Add(ToMillis(now - at));
      SampleSilence(i, p, now);
    }
  }
}

void PoolMetrics::SampleSilence(size_t observer, size_t subject, TimePoint now) {
  const gossip::Member* m = pool_.node(observer).membership().Find(pool_.id(subject));
  if (m == nullptr || m->state == gossip::MemberState::kFailed || m->state == gossip::MemberState::kLeft) return;
  silence_ms_.Add(ToMillis(now - m->last_seen));
}

void PoolMetrics::ScheduleStall(size_t node, TimePoint at, Duration length) {
  stalled_.insert(node);
  pool_.network().Schedule(at, [this, node, length] { pool_.Stall(node, length); });
}

void PoolMetrics::NoteCrash(size_t node, TimePoint at) {
  crashed_[node] = at;
  ++crashes_;
  for (size_t p = 0; p < probes_; ++p) {
    auto& q = pending_[p];
    for (auto it = q.begin(); it != q.end();) {
      if (highest_[node][p] < it->version && it->target > 0) --it->target;
      it = Completed(*it) ? q.erase(it) : std::next(it);
    }
  }
}

void PoolMetrics::NoteRestart(size_t node) {
  if (crashed_.erase(node) == 0) return;
  ++restarts_;
  size_t expected = 0, seen = 0;
  for (size_t i = 0; i < pool_.size(); ++i) expected += i != node && pool_.running(i);
  for (auto it = detected_.lower_bound({node, 0}); it != detected_.end() && it->first == node;) {
    ++seen;
    it = detected_.erase(it);
  }
  missing_closed_ += expected > seen ? expected - seen : 0;
}

PoolReport PoolMetrics::Finish(double loss) {
  PoolReport r;
  r.nodes = pool_.size();
  r.loss = loss;
  const TimePoint now = pool_.clock().Now();
  // Updates still pending: count those that had time to arrive (1 s) as
  // incomplete and the rest as not measured.
  for (auto& q : pending_) {
    for (auto& p : q) {
      if (!Completed(p) && now - p.published > std::chrono::seconds(1)) ++r.updates_incomplete;
    }
  }
  r.updates_tracked = dissemination_ms_.size() + r.updates_incomplete;
  r.dissemination_p50_ms = Percentile(dissemination_ms_, 50);
  r.dissemination_p99_ms = Percentile(dissemination_ms_, 99);
  r.dissemination_max_ms = dissemination_ms_.empty() ? 0 : dissemination_ms_.back();
  r.dissemination_p999_ms = Percentile(dissemination_ms_, 99.9);
  r.updates_over_300_ms = static_cast<size_t>(std::count_if(
      dissemination_ms_.begin(), dissemination_ms_.end(), [](double ms) { return ms > 300; }));
  r.freshest_age_p99_ms = freshness_ms_.Percentile(99);
  r.silence_p99_ms = silence_ms_.Percentile(99);
  r.silence_p999_ms = silence_ms_.Percentile(99.9);
  r.silence_max_ms = silence_ms_.Percentile(100);
  const gossip::Membership& seen_by_first = pool_.node(0).membership();
  r.suspect_timeout_ms = ToMillis(seen_by_first.suspect_timeout());
  r.failure_timeout_ms = ToMillis(seen_by_first.failure_timeout());
  const double secs = std::chrono::duration<double>(now - window_start_).count();
  const auto& st = pool_.network().stats();
  if (secs > 0) {
    r.bytes_per_node_per_s =
        static_cast<double>(st.bytes + st.delivered_bytes - bytes_at_start_) / secs /
        static_cast<double>(pool_.size());
    r.packets_per_node_per_s = static_cast<double>(st.sent + st.delivered - packets_at_start_) /
                               secs / static_cast<double>(pool_.size());
  }
  uint64_t received = 0, window_received = 0, window_fresh = 0;
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (!pool_.running(i)) continue;
    const auto& c = pool_.node(i).counters();
    received += c.entries_received;
    r.refutations += c.refutations;
    // shoal-sim restarts no node, so each running node's counters went on
    // from the window's start.
    if (i < entries_at_start_.size()) {
      window_received += c.entries_received - entries_at_start_[i].first;
      window_fresh += c.entries_new - entries_at_start_[i].second;
    }
  }
  r.copies_per_new_entry =
      window_fresh ? static_cast<double>(window_received) / static_cast<double>(window_fresh) : 0;
  // Gossiper counters run from each node's (last) start: over the whole run.
  const double run_s = std::chrono::duration<double>(now - run_start_).count();
  r.entries_received_per_node_per_s =
      run_s > 0 ? static_cast<double>(received) / static_cast<double>(pool_.size()) / run_s : 0;
  r.crashes = crashes_;
  r.restarts = restarts_;
  size_t expected = 0;
  for (const auto& [c, at] : crashed_) {
    for (size_t i = 0; i < pool_.size(); ++i) expected += i != c && pool_.running(i);
  }
  r.detections_missing = missing_closed_ + (expected > detected_.size() ? expected - detected_.size() : 0);
  r.detection_p50_ms = Percentile(detection_ms_, 50);
  r.detection_p99_ms = Percentile(detection_ms_, 99);
  r.detection_max_ms = detection_ms_.empty() ? 0 : detection_ms_.back();
  r.false_failures = false_failures_;
  r.false_suspicions = false_suspicions_;
  r.false_accusations = false_accusations_;
  r.stalled_declared_failed = stalled_failed_;
  return r;
}

}  // namespace shoal::sim
