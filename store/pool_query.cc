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

}  // namespace

void PoolQuery::Run(HistoryService& local, gossip::PeerStreams& streams, std::vector<PoolMember> peers,
                    SeriesQuery query, Duration timeout, Progress progress, Done done, KeepRows keep) {
  struct State {
    PoolAnswer answer;
    std::optional<SeriesSums> sums;
    std::map<NodeId, std::vector<Candidate>> holders;  // origin -> (node, holding)
    std::set<NodeId> merged;  // origins asked of every holder (OneCopyWhole)
    std::map<NodeId, Endpoint> endpoints;
    std::set<NodeId> answered;
    size_t calls_done = 0, calls_total = 0;
  };
  auto st = std::make_shared<State>();
  if (keep != KeepRows::kAll) st->sums.emplace(keep == KeepRows::kPerNodeSums);
  peers.push_back({local.store().self(), Endpoint{}});
  std::vector<std::pair<PoolMember, wire::Request>> calls;
  wire::Request holdings;
  *holdings.mutable_holdings() = ToWire(query);
  for (const auto& p : peers) {
    st->endpoints[p.id] = p.endpoint;
    calls.emplace_back(p, holdings);
  }
  st->calls_total = calls.size() * 2;  // a guess until holders are known
  const std::set<NodeId> wanted(query.origins.begin(), query.origins.end());
  auto tick = [st, progress] {
    ++st->calls_done;
    if (progress) progress(st->calls_done, std::max(st->calls_total, st->calls_done));
  };
  FanOut(
      local, streams, calls, timeout,
      [st, tick](NodeId node, Result<wire::Response> r) {
        tick();
        if (!r.ok() || !r->has_holdings()) {
          st->answer.failures.push_back(Failure(node, r.ok() ? MakeError("not a holdings answer") : r.error()));
          return;
        }
        st->answered.insert(node);
        for (Holding& h : FromWire(r->holdings())) st->holders[h.origin].emplace_back(node, std::move(h));
      },
      [st, wanted, query, &local, &streams, timeout, tick, done] {
        // One holder per origin with rows in the period, or all of them.
        std::map<NodeId, std::vector<NodeId>> assigned;
        for (const auto& [origin, list] : st->holders) {
          if (!wanted.empty() && !wanted.count(origin)) continue;
          std::vector<const Candidate*> in_period;
          const Candidate* best = nullptr;
          for (const auto& cand : list) {
            const Holding& h = cand.second;
            if (h.last_ms < query.from_ms || h.first_ms >= query.to_ms) continue;
            in_period.push_back(&cand);
            if (!best || BetterHolder(origin, query, cand, *best)) best = &cand;
          }
          if (!best) continue;
          st->answer.names[origin.value] = best->second.name;
          st->answer.holder[origin.value] = best->first.value;
          if (OneCopyWhole(in_period)) {
            assigned[best->first].push_back(origin);
            continue;
          }
          st->merged.insert(origin);
          for (const Candidate* c : in_period) assigned[c->first].push_back(origin);
        }
        std::vector<std::pair<PoolMember, wire::Request>> queries;
        for (auto& [node, origins] : assigned) {
          SeriesQuery part = query;
          part.origins = std::move(origins);
          wire::Request r;
          *r.mutable_query() = ToWire(part);
          r.mutable_query()->set_columns(true);
          queries.emplace_back(PoolMember{node, st->endpoints[node]}, std::move(r));
        }
        st->calls_total = st->calls_done + queries.size();
        FanOut(
            local, streams, queries, timeout,
            [st, tick](NodeId node, Result<wire::Response> r) {
              tick();
              // Asked for sums: those of origins asked of this holder alone
              // are summed as the columns are read, no rows made of them.
              TakeSeries sum;
              if (st->sums) {
                sum = [st](NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets) {
                  if (st->merged.count(origin)) return false;
                  st->sums->AddSeries(origin, name, buckets);
                  st->answer.rows += buckets.size();
                  return true;
                };
              }
              auto part = !r.ok()             ? Result<QueryAnswer>(r.error())
                          : !r->has_result() ? Result<QueryAnswer>(MakeError("not a query answer"))
                                             : FromWire(std::move(*r->mutable_result()), sum);
              if (!part.ok()) {
                st->answer.failures.push_back(Failure(node, part.error()));
                return;
              }
              QueryAnswer& out = st->answer.result;
              out.level = part->level;
              st->answer.rows += part->rows.size();
              for (SeriesRow& row : part->rows) {
                if (st->sums && !st->merged.count(row.origin)) {
                  st->sums->Add(row);
                } else {
                  out.rows.push_back(std::move(row));
                }
              }
              std::move(part->events.begin(), part->events.end(), std::back_inserter(out.events));
            },
            [st, done] {
              if (!st->merged.empty()) KeepFullest(st->answer.result, st->merged);
              SortEvents(st->answer.result.events);
              if (st->sums) {
                for (const SeriesRow& row : st->answer.result.rows) st->sums->Add(row);
                st->answer.result.rows.clear();
                st->answer.points = st->sums->Take();
              }
              done(std::move(st->answer));
            });
      });
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
