#include "store/custodian.h"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/placement.h"
#include "store/wire_codec.h"

namespace shoal::store {

Custodian::Custodian(HistoryStore& store, const gossip::Membership& membership, gossip::PeerStreams& streams,
                     Clock& clock, CustodianOptions options)
    : store_(store), membership_(membership), streams_(streams), clock_(clock), options_(options),
      started_(clock.Now()), next_plan_(clock.Now()) {}

Custodian::~Custodian() { *alive_ = false; }

void Custodian::Plan() {
  const bool settled = clock_.Now() - started_ >= options_.startup_grace;
  for (NodeId origin : store_.HeldOrigins()) {
    if (origin == store_.self()) continue;
    if (!Gone(membership_.Find(origin), settled)) {
      // Alive (again): its own replicator is in charge.
      for (auto it = done_.lower_bound({origin, NodeId{}}); it != done_.end() && it->first == origin;) {
        it = done_.erase(it);
      }
      continue;
    }
    std::vector<std::pair<uint64_t, NodeId>> ranked = {{HolderScore(origin, store_.self()), store_.self()}};
    for (const auto m : membership_.live_peers()) ranked.emplace_back(HolderScore(origin, m.id), m.id);
    std::sort(ranked.begin(), ranked.end(), std::greater<>());
    ranked.resize(std::min<size_t>(ranked.size(), static_cast<size_t>(options_.copies) + 1));
    for (const auto& [score, target] : ranked) {
      const Key key{origin, target};
      if (target == store_.self() || done_.count(key) || jobs_.count(key)) continue;
      jobs_.emplace(key, Job{});
    }
  }
}

void Custodian::Tick() {
  const TimePoint now = clock_.Now();
  if (now >= next_plan_) {
    next_plan_ = now + options_.every;
    Plan();
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const gossip::Member* m = membership_.Find(it->first.second);
    if (!m || !membership_.IsLive(it->first.second)) {  // the target went too: planned again next time
      if (!it->second.call.in_flight()) {
        it = jobs_.erase(it);
        continue;
      }
    } else if (it->second.call.Ready(now) && m->endpoint.valid()) {
      Send(it->first, it->second, m->endpoint);
    }
    ++it;
  }
}

void Custodian::Send(const Key& key, Job& job, const Endpoint& to) {
  auto held = store_.HeldOf(key.first);
  if (!held) {  // deleted meanwhile
    jobs_.erase(key);
    return;
  }
  CopySlice slice{key.first, held->name, held->incarnation, {}, false, 0, 0, {}};
  std::string cursor = job.cursor;
  bool last = false;
  if (job.probing) {
    ++counters_.probes;  // no rows: the answer says what the target holds
  } else {
    slice.rows = store_.RowsAfter(key.first, job.cursor, options_.max_message_bytes, &last);
    if (!slice.rows.empty()) cursor = slice.rows.back().key;
    slice.last = last;
    slice.through_seq = held->applied_seq;
    slice.through_ms = held->last_ms;
    ++counters_.slices;
  }
  wire::Request request;
  *request.mutable_copy() = ToWire(std::move(slice));
  job.call.Send(streams_, to, request, options_.call_timeout, clock_, options_.every, alive_,
                [this, key, cursor, last](Result<wire::Ack> ack) { OnReply(key, std::move(ack), cursor, last); });
}

void Custodian::OnReply(const Key& key, Result<wire::Ack> ack, std::string cursor, bool last) {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return;
  Job& job = it->second;
  if (!ack.ok()) {
    ++counters_.failures;
    spdlog::debug("history: copying {}'s rows to {}: {}", NameOf(key.first), NameOf(key.second),
                  ack.error().message);
    return;
  }
  auto held = store_.HeldOf(key.first);
  if (job.probing) {
    if (held && ack->applied_seq() >= held->applied_seq) {
      done_.insert(key);  // it holds as much as this node does
      jobs_.erase(it);
      return;
    }
    spdlog::info("history: {} is gone; copying its history to {}", held ? held->name : NameOf(key.first),
                 NameOf(key.second));
    job.probing = false;
    return;
  }
  job.cursor = std::move(cursor);
  if (last) {
    ++counters_.completed;
    done_.insert(key);
    jobs_.erase(it);
  }
}

}  // namespace shoal::store
