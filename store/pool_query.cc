#include "store/pool_query.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "gossip/fan_out.h"
#include "store/scan.h"
#include "store/wire_codec.h"

namespace shoal::store {
namespace {

// `calls` to their members' history service, this node's answered by
// `local`; `each` sees every answer, `after` runs once all are in.
void FanOut(HistoryService& local, gossip::PeerStreams& streams,
            std::vector<std::pair<PoolMember, wire::Request>> calls, Duration timeout,
            std::function<void(NodeId, Result<wire::Response>)> each, std::function<void()> after) {
  const NodeId self = local.store().self();
  gossip::FanOutCalls<wire::Request, wire::Response>{
      std::move(calls), [&local, self](const wire::Request& r) { return local.Handle(self, r); }, std::move(each),
      std::move(after)}
      .Start(streams, self, gossip::StreamService::kHistory, timeout);
}

std::pair<NodeId, std::string> Failure(NodeId node, const Error& e) { return {node, e.message}; }

// How much of the query's period a holding spans.
int64_t Spanned(const Holding& h, const SeriesQuery& q) {
  return std::max<int64_t>(0, std::min(h.last_ms + 1, q.to_ms) - std::max(h.first_ms, q.from_ms));
}

// The copy spanning most of the period: an origin whose store was created
// afresh (removed, or found corrupt) holds less than its replicas, which
// kept its earlier rows. Of copies spanning alike, the origin itself while
// it answers, else the one with the latest rows, else the lowest id.
bool BetterHolder(NodeId origin, const SeriesQuery& q, const std::pair<NodeId, Holding>& a,
                  const std::pair<NodeId, Holding>& b) {
  const int64_t a_span = Spanned(a.second, q), b_span = Spanned(b.second, q);
  if (a_span != b_span) return a_span > b_span;
  const bool a_own = a.first == origin, b_own = b.first == origin;
  if (a_own != b_own) return a_own;
  if (a.second.last_ms != b.second.last_ms) return a.second.last_ms > b.second.last_ms;
  return a.first < b.first;
}

using Candidate = std::pair<NodeId, Holding>;

// Whether one copy of an origin's rows answers for all: every holder has
// them from the same store of the origin, and from one life of it. If not,
// a copy may have gaps (a life whose batches went to other replicas).
bool OneCopyWhole(const std::vector<const Candidate*>& holders) {
  return std::all_of(holders.begin(), holders.end(), [&](const Candidate* c) {
    return c->second.lives <= 1 && c->second.incarnation == holders.front()->second.incarnation;
  });
}

// The rows of origins asked of several holders: per series and bucket the
// copy with the most samples, each event once.
void KeepFullest(QueryAnswer& a, const std::set<NodeId>& merged) {
  std::map<std::tuple<uint64_t, std::string, int64_t>, size_t> at;  // (origin, series, bucket) -> kept
  std::vector<SeriesRow> kept;
  for (SeriesRow& r : a.rows) {
    if (!merged.count(r.origin)) {
      kept.push_back(std::move(r));
      continue;
    }
    auto [it, fresh] = at.try_emplace({r.origin.value, r.name, r.bucket_ms}, kept.size());
    if (fresh) {
      kept.push_back(std::move(r));
    } else if (r.figures.samples > kept[it->second].figures.samples) {
      kept[it->second] = std::move(r);
    }
  }
  a.rows = std::move(kept);
  std::set<std::tuple<uint64_t, int64_t, std::string, std::string, std::string>> seen;
  std::erase_if(a.events, [&](const EventRow& e) {
    return merged.count(e.origin) &&
           !seen.insert({e.origin.value, e.time_ms, e.event.kind, e.event.subject, e.event.text}).second;
  });
}

// One pool question in flight: the holdings asked of every node, one
// holder (or every holder) per origin picked, the parts asked of them and
// merged or summed as they arrive. Kept alive by the calls' callbacks.
class PoolRun : public std::enable_shared_from_this<PoolRun> {
 public:
  PoolRun(HistoryService& local, gossip::PeerStreams& streams, SeriesQuery query, Duration timeout,
          PoolQuery::Progress progress, PoolQuery::Done done, KeepRows keep)
      : local_(local),
        streams_(streams),
        query_(std::move(query)),
        wanted_(query_.origins.begin(), query_.origins.end()),
        timeout_(timeout),
        progress_(std::move(progress)),
        done_(std::move(done)) {
    if (keep != KeepRows::kAll) sums_.emplace(keep == KeepRows::kPerNodeSums);
  }

  void Start(std::vector<PoolMember> peers) {
    peers.push_back({local_.store().self(), Endpoint{}});
    std::vector<std::pair<PoolMember, wire::Request>> calls;
    wire::Request holdings;
    *holdings.mutable_holdings() = ToWire(query_);
    for (const auto& p : peers) {
      endpoints_[p.id] = p.endpoint;
      calls.emplace_back(p, holdings);
    }
    calls_total_ = calls.size() * 2;  // a guess until holders are known
    auto self = shared_from_this();
    FanOut(
        local_, streams_, std::move(calls), timeout_,
        [self](NodeId node, Result<wire::Response> r) { self->OnHoldings(node, std::move(r)); },
        [self] { self->AskParts(); });
  }

 private:
  void Tick() {
    ++calls_done_;
    if (progress_) progress_(calls_done_, std::max(calls_total_, calls_done_));
  }

  void OnHoldings(NodeId node, Result<wire::Response> r) {
    Tick();
    if (!r.ok() || !r->has_holdings()) {
      answer_.failures.push_back(Failure(node, r.ok() ? MakeError("not a holdings answer") : r.error()));
      return;
    }
    for (Holding& h : FromWire(r->holdings())) holders_[h.origin].emplace_back(node, std::move(h));
  }

  // One holder per origin with rows in the period, or all of them:
  // holder -> the origins asked of it.
  std::map<NodeId, std::vector<NodeId>> Assign() {
    std::map<NodeId, std::vector<NodeId>> assigned;
    for (const auto& [origin, list] : holders_) {
      if (!wanted_.empty() && !wanted_.count(origin)) continue;
      std::vector<const Candidate*> in_period;
      const Candidate* best = nullptr;
      for (const auto& cand : list) {
        const Holding& h = cand.second;
        if (h.last_ms < query_.from_ms || h.first_ms >= query_.to_ms) continue;
        in_period.push_back(&cand);
        if (!best || BetterHolder(origin, query_, cand, *best)) best = &cand;
      }
      if (!best) continue;
      answer_.names[origin.value] = best->second.name;
      answer_.holder[origin.value] = best->first.value;
      if (OneCopyWhole(in_period)) {
        assigned[best->first].push_back(origin);
        continue;
      }
      merged_.insert(origin);
      for (const Candidate* c : in_period) assigned[c->first].push_back(origin);
    }
    return assigned;
  }

  void AskParts() {
    std::vector<std::pair<PoolMember, wire::Request>> queries;
    for (auto& [node, origins] : Assign()) {
      SeriesQuery part = query_;
      part.origins = std::move(origins);
      wire::Request r;
      *r.mutable_query() = ToWire(part);
      r.mutable_query()->set_columns(true);
      queries.emplace_back(PoolMember{node, endpoints_[node]}, std::move(r));
    }
    calls_total_ = calls_done_ + queries.size();
    auto self = shared_from_this();
    FanOut(
        local_, streams_, std::move(queries), timeout_,
        [self](NodeId node, Result<wire::Response> r) { self->OnPart(node, std::move(r)); },
        [self] { self->Finish(); });
  }

  // Asked for sums: those of origins asked of this holder alone are summed
  // as the columns are read, no rows made of them.
  TakeSeries SumAsRead() {
    if (!sums_) return {};
    return [this](NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets) {
      if (merged_.count(origin)) return false;
      sums_->AddSeries(origin, name, buckets);
      answer_.rows += buckets.size();
      return true;
    };
  }

  void OnPart(NodeId node, Result<wire::Response> r) {
    Tick();
    auto part = !r.ok()             ? Result<QueryAnswer>(r.error())
                : !r->has_result() ? Result<QueryAnswer>(MakeError("not a query answer"))
                                   : FromWire(std::move(*r->mutable_result()), SumAsRead());
    if (!part.ok()) {
      answer_.failures.push_back(Failure(node, part.error()));
      return;
    }
    QueryAnswer& out = answer_.result;
    out.level = part->level;
    answer_.rows += part->rows.size();
    for (SeriesRow& row : part->rows) {
      if (sums_ && !merged_.count(row.origin)) {
        sums_->Add(row);
      } else {
        out.rows.push_back(std::move(row));
      }
    }
    std::move(part->events.begin(), part->events.end(), std::back_inserter(out.events));
  }

  void Finish() {
    if (!merged_.empty()) KeepFullest(answer_.result, merged_);
    SortEvents(answer_.result.events);
    if (sums_) {
      for (const SeriesRow& row : answer_.result.rows) sums_->Add(row);
      answer_.result.rows.clear();
      answer_.points = sums_->Take();
    }
    done_(std::move(answer_));
  }

  HistoryService& local_;
  gossip::PeerStreams& streams_;
  const SeriesQuery query_;
  const std::set<NodeId> wanted_;
  const Duration timeout_;
  const PoolQuery::Progress progress_;
  const PoolQuery::Done done_;
  PoolAnswer answer_;
  std::optional<SeriesSums> sums_;
  std::map<NodeId, std::vector<Candidate>> holders_;  // origin -> (node, holding)
  std::set<NodeId> merged_;  // origins asked of every holder (OneCopyWhole)
  std::map<NodeId, Endpoint> endpoints_;
  size_t calls_done_ = 0, calls_total_ = 0;
};

}  // namespace

void PoolQuery::Run(HistoryService& local, gossip::PeerStreams& streams, std::vector<PoolMember> peers,
                    SeriesQuery query, Duration timeout, Progress progress, Done done, KeepRows keep) {
  std::make_shared<PoolRun>(local, streams, std::move(query), timeout, std::move(progress), std::move(done), keep)
      ->Start(std::move(peers));
}

void PoolQuery::Broadcast(HistoryService& local, gossip::PeerStreams& streams, std::vector<PoolMember> peers,
                          const wire::Request& request, Duration timeout, BroadcastDone done) {
  auto answers = std::make_shared<NodeAnswers>();
  peers.push_back({local.store().self(), Endpoint{}});
  std::vector<std::pair<PoolMember, wire::Request>> calls;
  for (const auto& p : peers) calls.emplace_back(p, request);
  FanOut(
      local, streams, calls, timeout,
      [answers](NodeId node, Result<wire::Response> r) { answers->emplace_back(node, std::move(r)); },
      [answers, done] { done(std::move(*answers)); });
}

}  // namespace shoal::store
