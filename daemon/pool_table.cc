#include "daemon/pool_table.h"

#include <algorithm>

#include <fmt/format.h>


namespace shoal::daemon {

std::string FormatPoolTable(const gossip::Gossiper& g, const engine::PoolView& pool, TimePoint now) {
  struct Row {
    std::string name, address, state, seen, load, memory;
    NodeId id;
  };
  std::vector<Row> rows;
  auto facts_of = [&](NodeId id, Row& r) {
    const engine::PoolView::Node* n = pool.Find(id);
    if (n == nullptr) return;
    const engine::HostFacts& h = n->status.host;
    r.name = n->status.name;
    // A card (a pool planning from figures) carries no load and no free
    // memory: shown as "-" (shoalctl nodes asks each node for them).
    const bool card = n->status.card;
    r.load = card ? fmt::format("-/{}", h.cpus) : fmt::format("{:.2f}/{}", h.load_milli / 1000.0, h.cpus);
    r.memory = card ? fmt::format("-/{:.1f} GiB", h.mem_total_kb / 1048576.0)
                    : fmt::format("{:.1f}/{:.1f} GiB", h.mem_available_kb / 1048576.0, h.mem_total_kb / 1048576.0);
  };
  Row self{"?", g.identity().advertise.ToString(), "self", "-", "", "", g.identity().id};
  facts_of(g.identity().id, self);
  rows.push_back(self);
  g.membership().ForEach([&](NodeId id, const gossip::Member& m) {
    Row r{"?", m.endpoint.valid() ? m.endpoint.ToString() : "(unknown)",
          std::string(gossip::ToString(m.state)),
          fmt::format("{:.0f} ms", ToMillis(now - m.last_seen)), "", "", id};
    facts_of(id, r);
    rows.push_back(r);
  });
  std::sort(rows.begin() + 1, rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
  const auto& c = g.counters();
  std::string drops;
  auto drop = [&](const char* what, uint64_t n) {
    if (n > 0) drops += fmt::format("{}{} {}", drops.empty() ? " (" : ", ", n, what);
  };
  drop("oversized", c.dropped_oversized);
  drop("truncated", c.dropped_truncated);
  drop("foreign", c.dropped_foreign);
  drop("unknown key", c.dropped_unknown_key);
  drop("forged", c.dropped_forged);
  drop("replayed", c.dropped_replayed);
  drop("malformed", c.dropped_malformed);
  drop("own", c.dropped_own);
  drop("over limit", c.dropped_over_limit);
  if (!drops.empty()) drops += ")";
  if (c.accusations_made + c.refutations > 0) {
    drops += fmt::format(" | accused {} peers, refuted {} accusations", c.accusations_made, c.refutations);
  }
  std::string out = fmt::format(
      "{} live of {} known | sent {} pkts {:.1f} KB | received {} pkts {:.1f} KB, dropped {}{}\n",
      g.membership().live_count(), rows.size(), c.packets_sent, c.bytes_sent / 1000.0,
      c.packets_received, c.bytes_received / 1000.0, c.dropped_total(), drops);
  out += fmt::format("  {:<16} {:<22} {:<8} {:>9}  {:<10} {}\n", "NODE", "ADDRESS", "STATE",
                     "SEEN", "LOAD/CPUS", "MEM FREE/TOTAL");
  for (const Row& r : rows) {
    out += fmt::format("  {:<16} {:<22} {:<8} {:>9}  {:<10} {}\n", r.name, r.address, r.state,
                       r.seen, r.load, r.memory);
  }
  return out;
}

}  // namespace shoal::daemon
