#include "bwman/pipe_round.h"

#include <algorithm>
#include <numeric>

namespace shoal::bwman {
namespace {

uint64_t DemandOf(const RoundInput& in, size_t node, size_t app) {
  const auto& row = in.demand[node];
  return app < row.size() ? row[app] : 0;
}

// One application's column of demand, held to its cap and split into its
// booked and unbooked parts.
void QueueApp(const RoundInput& in, size_t app, std::vector<std::vector<Queued>>& queued) {
  const size_t nodes = in.demand.size();
  std::vector<uint64_t> want(nodes);
  for (size_t n = 0; n < nodes; ++n) want[n] = DemandOf(in, n, app);
  const AppTerms& terms = in.apps[app];
  if (terms.cap != kNoCap) want = MaxMinShares(terms.cap, want);
  const std::vector<uint64_t> booked = MaxMinShares(terms.booked, want);
  for (size_t n = 0; n < nodes; ++n) queued[n][app] = Queued{booked[n], want[n] - booked[n]};
}

}  // namespace

std::vector<uint64_t> MaxMinShares(uint64_t total, std::span<const uint64_t> wants) {
  std::vector<uint64_t> out(wants.begin(), wants.end());
  std::vector<size_t> order(wants.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return wants[a] < wants[b]; });
  uint64_t left = total;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t rising = order.size() - k;
    const uint64_t level = left / rising;
    if (wants[order[k]] <= level) {
      left -= wants[order[k]];
      continue;
    }
    for (size_t j = k; j < order.size(); ++j) out[order[j]] = level;
    break;
  }
  return out;
}

Credit Round::AppCredit(size_t node, size_t app) const {
  const Queued& q = queued[node][app];
  Credit c;
  if (nodes.overbooked) {
    c.booked = MulDiv(q.booked, nodes.interval_bytes, nodes.booked);
    return c;
  }
  c.booked = q.booked;
  if (nodes.unbooked > 0) {
    const uint64_t granted = nodes.interval_bytes - nodes.booked - nodes.unqueued;
    c.unbooked = MulDiv(q.unbooked, std::min(granted, nodes.unbooked), nodes.unbooked);
  }
  return c;
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
