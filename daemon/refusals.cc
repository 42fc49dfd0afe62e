#include "daemon/refusals.h"

namespace shoal::daemon {

std::vector<Refusal> CollectRefusals(const gossip::Counters& g, const gossip::StreamCounters& s,
                                     const ControlCounters* c) {
  const std::vector<Refusal> all = {
      {"gossip", "oversized", g.dropped_oversized},
      {"gossip", "truncated", g.dropped_truncated},
      {"gossip", "foreign", g.dropped_foreign},
      {"gossip", "unknown key", g.dropped_unknown_key},
      {"gossip", "forged", g.dropped_forged},
      {"gossip", "replayed", g.dropped_replayed},
      {"gossip", "malformed", g.dropped_malformed},
      {"gossip", "over the node limit", g.dropped_over_limit},
      {"gossip", "name conflict", g.name_conflicts},
      {"gossip", "entries from reaped nodes", g.entries_from_reaped},
      {"streams", "over the connection limits", s.refused},
      {"streams", "not authenticated", s.auth_failures},
      {"streams", "malformed", s.malformed},
      {"control", "busy", c ? c->busy : 0},
      {"control", "oversized", c ? c->oversized : 0},
      {"control", "malformed", c ? c->malformed : 0},
      {"control", "timed out", c ? c->timed_out : 0},
      {"control", "unauthorized", c ? c->unauthorized : 0},
      {"control", "forbidden", c ? c->forbidden : 0},
  };
  std::vector<Refusal> out;
  for (const auto& r : all) {
    if (r.count > 0) out.push_back(r);
  }
  return out;
}

}  // namespace shoal::daemon
