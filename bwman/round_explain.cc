#include "bwman/round_explain.h"

#include <fmt/format.h>

namespace shoal::bwman {
namespace {

std::string PerSecond(uint64_t bytes, const RoundNames& n) {
  return fmt::format("{} B/s", bytes * 1000 / std::max<uint64_t>(1, n.interval_ms));
}

std::string Headline(const RoundInput& in, const RoundNames& n) {
  return fmt::format("pipe {}: {} bytes per {} ms interval ({}); figures are bytes per interval\n", n.pipe,
                     in.interval_bytes, n.interval_ms, PerSecond(in.interval_bytes, n));
}

std::string TermsText(const AppTerms& t, const RoundNames& n) {
  std::string booked = t.booked > 0 ? fmt::format("booked {} ({})", t.booked, PerSecond(t.booked, n)) : "no booking";
  std::string cap = t.cap != kNoCap ? fmt::format("capped at {} ({})", t.cap, PerSecond(t.cap, n)) : "no cap";
  return booked + ", " + cap;
}

// The pool's division of the interval among the nodes (DivideCredit).
std::string DivisionText(const RoundInput& in, const Division& d, int step) {
  if (d.overbooked) {
    return fmt::format("{}. the pool: the bookings queued ({}) exceed the interval ({}): they share it in "
                       "proportion, and unbooked bytes get nothing\n",
                       step, d.booked, d.interval_bytes);
  }
  const uint64_t room = d.interval_bytes - d.booked;
  if (d.unbooked > room) {
    return fmt::format("{}. the pool: {} booked bytes queued, granted first; the {} unbooked bytes ask for the "
                       "{} left: congested, shared max-min over the nodes: nodes that queued less than an "
                       "equal part get all of it, the others {} each ({:.1f}% of the unbooked bytes granted)\n",
                       step, d.booked, d.unbooked, room, d.water, 100 * d.unbooked_fraction);
  }
  size_t active = 0;
  for (const Credit& c : d.credits) active += c.immediate > 0 ? 1 : 0;
  return fmt::format("{}. the pool: {} booked and {} unbooked bytes queued: everything fits; the {} bytes nobody "
                     "queued, times the immediate share {}, go to the {} active node(s): {} each as immediate "
                     "credit (the node's to borrow, not split among its applications)\n",
                     step, d.booked, d.unbooked, d.unqueued, in.immediate_share, active, d.immediate_each);
}

}  // namespace

std::string ExplainAppCredit(const RoundInput& in, const Round& r, const RoundNames& n, size_t app) {
  std::string out = Headline(in, n);
  auto line = [&out](std::string text) { out += text + "\n"; };
  const std::string& name = n.apps[app];
  int step = 1;
  line(fmt::format("{}. {}: {}", step++, name, TermsText(in.apps[app], n)));
  uint64_t wanted = 0, kept = 0;
  std::string wants;
  for (size_t node = 0; node < in.demand.size(); ++node) {
    const uint64_t d = in.Demand(node, app);
    if (d == 0) continue;
    wanted += d;
    kept += r.queued[node][app].booked + r.queued[node][app].unbooked;
    wants += fmt::format(" {} {},", n.nodes[node], d);
  }
  if (wanted == 0) {
    line(fmt::format("{}. it wants nothing on this pipe in this interval: no node queues its bytes, and its "
                     "booking (if any) is lent to the others",
                     step));
    return out;
  }
  wants.pop_back();
  line(fmt::format("{}. demand:{}; {} in all", step++, wants, wanted));
  if (kept < wanted) {
    line(fmt::format("{}. the cap holds it to {} pool-wide, shared max-min over its nodes", step++, kept));
  }
  line(in.apps[app].booked > 0
           ? fmt::format("{}. its booking is spread max-min over the nodes by their demand (a node holds no "
                         "booked bytes it does not want):",
                         step++)
           : fmt::format("{}. without a booking all of it is unbooked:", step++));
  for (size_t node = 0; node < in.demand.size(); ++node) {
    const Queued& q = r.queued[node][app];
    if (q.booked + q.unbooked == 0) continue;
    line(fmt::format("     {}: {} booked, {} unbooked", n.nodes[node], q.booked, q.unbooked));
  }
  out += DivisionText(in, r.nodes, step++);
  line(fmt::format("{}. on each node, its booked bytes are granted; the node's unbooked grant is shared max-min "
                   "among its applications' unbooked bytes:",
                   step++));
  uint64_t total = 0;
  for (size_t node = 0; node < in.demand.size(); ++node) {
    const Queued& q = r.queued[node][app];
    if (q.booked + q.unbooked == 0) continue;
    uint64_t unbooked = 0;
    for (const Queued& other : r.queued[node]) unbooked += other.unbooked;
    const Credit c = r.AppCredit(node, app);
    const Credit& nc = r.nodes.credits[node];
    total += c.booked + c.unbooked;
    line(fmt::format("     {}: the node's unbooked grant {} for {} unbooked bytes -> {} gets {} booked + {} "
                     "unbooked = {}{}",
                     n.nodes[node], nc.unbooked, unbooked, name, c.booked, c.unbooked, c.booked + c.unbooked,
                     nc.immediate > 0 ? fmt::format(" (and may borrow the node's {} immediate)", nc.immediate)
                                      : std::string()));
  }
  line(fmt::format("-> {} may send {} bytes per interval over the pool ({}), against a demand of {}", name, total,
                   PerSecond(total, n), wanted));
  return out;
}

std::string ExplainNodeCredits(const RoundInput& in, const Round& r, const RoundNames& n) {
  std::string out = Headline(in, n);
  auto line = [&out](std::string text) { out += text + "\n"; };
  line("1. the applications' terms, pool-wide:");
  for (size_t app = 0; app < in.apps.size(); ++app) {
    line(fmt::format("     {}: {}", n.apps[app], TermsText(in.apps[app], n)));
  }
  line("2. each node's queue, after caps, with each booking spread max-min by demand:");
  for (size_t node = 0; node < in.demand.size(); ++node) {
    uint64_t booked = 0, unbooked = 0;
    for (const Queued& q : r.queued[node]) booked += q.booked, unbooked += q.unbooked;
    line(fmt::format("     {}: {} booked, {} unbooked", n.nodes[node], booked, unbooked));
  }
  out += DivisionText(in, r.nodes, 3);
  line("4. each node's credit (its classes' rate for the interval):");
  for (size_t node = 0; node < in.demand.size(); ++node) {
    const Credit& c = r.nodes.credits[node];
    line(fmt::format("     {}: {} booked + {} unbooked + {} immediate = {} ({})", n.nodes[node], c.booked,
                     c.unbooked, c.immediate, c.total(), PerSecond(c.total(), n)));
  }
  return out;
}

}  // namespace shoal::bwman
