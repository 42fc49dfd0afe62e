#include "bwman/pipe_round.h"

#include <algorithm>
#include <numeric>

namespace shoal::bwman {
namespace {

// One application's column of demand, held to its cap and split into its
// booked and unbooked parts.
void QueueApp(const RoundInput& in, size_t app, std::vector<std::vector<Queued>>& queued) {
  const size_t nodes = in.demand.size();
  std::vector<uint64_t> want(nodes);
  for (size_t n = 0; n < nodes; ++n) want[n] = in.Demand(n, app);
  const AppTerms& terms = in.apps[app];
  if (terms.cap != kNoCap) want = MaxMinShares(terms.cap, want);
  const std::vector<uint64_t> booked = MaxMinShares(terms.booked, want);
  for (size_t n = 0; n < nodes; ++n) queued[n][app] = Queued{booked[n], want[n] - booked[n]};
}

}  // namespace

std::vector<Credit> Round::AppCredits(size_t node) const {
  const std::vector<Queued>& row = queued[node];
  std::vector<Credit> out(row.size());
  std::vector<uint64_t> unbooked(row.size());
  for (size_t app = 0; app < row.size(); ++app) {
    out[app].booked = nodes.overbooked ? MulDiv(row[app].booked, nodes.interval_bytes, nodes.booked) : row[app].booked;
    unbooked[app] = row[app].unbooked;
  }
  if (nodes.overbooked) return out;
  const std::vector<uint64_t> shares = MaxMinShares(nodes.credits[node].unbooked, unbooked);
  for (size_t app = 0; app < row.size(); ++app) out[app].unbooked = shares[app];
  return out;
}

Round DivideRound(const RoundInput& in) {
  Round r;
  r.queued.assign(in.demand.size(), std::vector<Queued>(in.apps.size()));
  for (size_t app = 0; app < in.apps.size(); ++app) QueueApp(in, app, r.queued);
  std::vector<Queued> per_node(in.demand.size());
  for (size_t n = 0; n < per_node.size(); ++n) {
    for (const Queued& q : r.queued[n]) {
      per_node[n].booked += q.booked;
      per_node[n].unbooked += q.unbooked;
    }
  }
  r.nodes = DivideCredit(in.interval_bytes, in.immediate_share, per_node);
  return r;
}

}  // namespace shoal::bwman
