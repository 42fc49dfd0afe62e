#include "store/replicator.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "store/placement.h"
#include "store/wire_codec.h"

namespace shoal::store {

Replicator::Replicator(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams,
                       Clock& clock, ReplicatorOptions options)
    : store_(store), membership_(membership), streams_(streams), clock_(clock), options_(options),
      started_(clock.Now()) {
  for (auto& [id, saved] : store_.Replicas()) replicas_[id].saved = std::move(saved);
}

Replicator::~Replicator() { *alive_ = false; }

void Replicator::Save(NodeId id, const State& st) {
  if (auto s = store_.SaveReplica(id, st.saved); !s.ok()) spdlog::error("{}", s.error().message);
}

void Replicator::ChooseReplicas() {
  const bool settled = clock_.Now() - started_ >= options_.startup_grace;
  for (auto it = replicas_.begin(); it != replicas_.end();) {
    if (it->second.call.in_flight() || !Gone(membership_.Find(it->first), settled)) {
      ++it;
      continue;
    }
    spdlog::info("history: replica {} is gone; another node gets a copy", NameOf(it->first));
    if (auto s = store_.ForgetReplica(it->first); !s.ok()) spdlog::error("{}", s.error().message);
    ++counters_.replaced;
    it = replicas_.erase(it);
  }
  if (replicas_.size() >= static_cast<size_t>(options_.copies)) return;
  std::vector<std::pair<uint64_t, NodeId>> candidates;
  for (const auto m : membership_.live_peers()) {
    if (!replicas_.count(m.id)) candidates.emplace_back(HolderScore(store_.self(), m.id), m.id);
  }
  std::sort(candidates.begin(), candidates.end(), std::greater<>());
  for (const auto& [score, id] : candidates) {
    if (replicas_.size() >= static_cast<size_t>(options_.copies)) break;
    State st;
    if (store_.last_seq() > 0) st.saved = FreshCopy();
    spdlog::info("history: {} replicates to {}", store_.self_name(), NameOf(id));
    Save(id, st);
    replicas_.emplace(id, std::move(st));
  }
}

// Everything held so far goes over as a copy; the log continues after it.
ReplicaState Replicator::FreshCopy() const {
  return ReplicaState{.acked_seq = store_.last_seq(),  // keeps the log from here on
                      .copying = true,
                      .copy_cursor = "",
                      .copy_base = store_.last_seq(),
                      .copy_base_ms = store_.last_ms()};
}

void Replicator::OnRollback(NodeId id, uint64_t held) {
  spdlog::warn("history: {} holds batch {} of {}, whose store ends at {}: the store lost periods to a crash; "
               "it goes on under a new incarnation and its replicas get a fresh copy",
               NameOf(id), held, store_.self_name(), store_.last_seq());
  if (auto s = store_.Reincarnate(); !s.ok()) {
    spdlog::error("{}", s.error().message);
    return;
  }
  ++counters_.rollbacks;
  CopyAfresh();
}

void Replicator::CopyAfresh() {
  for (auto& [replica, st] : replicas_) {
    Restart(st, st.saved.copying ? st.kept_seq : std::min(st.saved.acked_seq, store_.last_seq()));
    Save(replica, st);
  }
}

void Replicator::Restart(State& st, uint64_t kept) {
  st.saved = FreshCopy();
  st.kept_seq = kept;
  ++st.restarts;
}

void Replicator::Tick() {
  ChooseReplicas();
  const TimePoint now = clock_.Now();
  for (auto& [id, st] : replicas_) {
    if (!st.call.Ready(now)) continue;
    const gossip::Member* m = membership_.Find(id);
    if (!m || !membership_.IsLive(id) || !m->endpoint.valid()) continue;
    Send(id, st, m->endpoint);
  }
}

void Replicator::Send(NodeId id, State& st, const Endpoint& to) {
  wire::Request request;
  bool copy = st.saved.copying;
  std::string cursor;
  bool last = false;
  if (!copy) {
    if (st.saved.acked_seq >= store_.last_seq()) return;
    auto log = store_.LogAfter(st.saved.acked_seq, options_.max_message_bytes);
    if (!log) {
      // The replica is further behind than the log reaches: copy instead.
      spdlog::info("history: replica {} is behind the log (at {}); copying", NameOf(id), st.saved.acked_seq);
      st.saved = FreshCopy();
      Save(id, st);
      copy = true;
    } else {
      *request.mutable_append() =
          ToWire(AppendBatches{store_.self(), store_.self_name(), store_.incarnation(), std::move(*log)});
      ++counters_.appends;
    }
  }
  if (copy) {
    auto rows = store_.RowsAfter(store_.self(), st.saved.copy_cursor, options_.max_message_bytes, &last);
    cursor = rows.empty() ? st.saved.copy_cursor : rows.back().key;
    *request.mutable_copy() = ToWire(CopySlice{store_.self(), store_.self_name(), store_.incarnation(), std::move(rows),
                                               last, st.saved.copy_base, st.saved.copy_base_ms, {}});
    ++counters_.copies;
  }
  counters_.bytes += st.call.Send(streams_, to, request, options_.call_timeout, clock_, options_.retry_after, alive_,
                                  [this, id, restarts = st.restarts, copy, cursor, last](Result<wire::Ack> ack) {
                                    OnReply(id, restarts, std::move(ack), copy, cursor, last);
                                  });
}

void Replicator::OnReply(NodeId id, uint64_t restarts, Result<wire::Ack> ack, bool was_copy, std::string cursor,
                         bool last) {
  auto it = replicas_.find(id);
  if (it == replicas_.end()) return;
  State& st = it->second;
  if (!ack.ok()) {
    ++counters_.failures;
    spdlog::debug("history: replicating to {}: {}", NameOf(id), ack.error().message);
    return;
  }
  if (restarts != st.restarts) return;  // sent before a fresh copy began
  if (was_copy) {
    st.saved.copy_cursor = cursor;
    if (last) {
      st.saved.copying = false;
      st.saved.acked_seq = ack->applied_seq();
    }
  } else if (ack->applied_seq() > store_.last_seq()) {
    OnRollback(id, ack->applied_seq());
    return;
  } else if (ack->applied_seq() < st.saved.acked_seq) {
    // It lost batches it had acknowledged (its store removed or found
    // corrupt): the log would bring back this store's batches, but not the
    // rows from before them (copied, or got back from the pool), so it
    // gets a fresh copy of everything.
    spdlog::info("history: replica {} lost batches it held ({} -> {}); copying", NameOf(id), st.saved.acked_seq,
                 ack->applied_seq());
    Restart(st, ack->applied_seq());
  } else {
    // Lower than sent: the next call resumes from what it holds.
    st.saved.acked_seq = ack->applied_seq();
  }
  Save(id, st);
}

std::vector<ReplicaView> Replicator::replicas() const {
  std::vector<ReplicaView> out;
  for (const auto& [id, st] : replicas_) out.push_back({id, st.saved.acked_seq, st.saved.copying, st.call.in_flight()});
  return out;
}

uint64_t Replicator::durable_seq() const {
  std::vector<uint64_t> acks;
  for (const auto& [id, st] : replicas_) {
    acks.push_back(st.saved.copying ? st.kept_seq : st.saved.acked_seq);
  }
  const size_t need = std::min<size_t>(options_.copies, std::max<size_t>(1, replicas_.size()));
  if (acks.size() < need) return 0;
  std::sort(acks.begin(), acks.end(), std::greater<>());
  return acks[need - 1];
}

}  // namespace shoal::store
