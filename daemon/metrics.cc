#include "daemon/metrics.h"

#include <malloc.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/build_info.h"
#include "daemon/refusals.h"

namespace shoal::daemon {
namespace {

// Writes families: HELP and TYPE once, then the samples.
class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Sample(const char* name, double value, const std::string& labels = "") {
    if (labels.empty()) out_ += fmt::format("{} {}\n", name, value);
    else out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Label(const char* key, const std::string& value) {
  return fmt::format("{}=\"{}\"", key, EscapeLabel(value));
}

// Counter families read from one counters struct, one sample each.
template <typename Counters>
struct CounterFigure {
  const char* name;
  const char* help;
  uint64_t Counters::*field;
};

template <typename Counters, size_t N>
void CounterFamilies(const Counters& c, const CounterFigure<Counters> (&figures)[N], Writer& w) {
  for (const auto& f : figures) {
    w.Family(f.name, "counter", f.help);
    w.Sample(f.name, static_cast<double>(c.*(f.field)));
  }
}

void Members(const gossip::Gossiper& g, Writer& w) {
  std::map<std::string, int> by_state = {{"alive", 1}, {"suspect", 0}, {"failed", 0}, {"left", 0}};  // self: alive
  g.membership().ForEach([&](NodeId, const gossip::Member& m) { ++by_state[std::string(gossip::ToString(m.state))]; });
  w.Family("shoal_members", "gauge", "Members of the pool as this node sees them, by state (this node included).");
  for (const auto& [state, n] : by_state) w.Sample("shoal_members", n, Label("state", state));
  w.Family("shoal_gossip_protocol_version", "gauge", "The gossip protocol version this node's packets go out in.");
  w.Sample("shoal_gossip_protocol_version", g.wire_version());
}

void Exchange(const gossip::Counters& c, Writer& w) {
  w.Family("shoal_gossip_packets_sent_total", "counter", "Gossip datagrams sent.");
  w.Sample("shoal_gossip_packets_sent_total", static_cast<double>(c.packets_sent));
  w.Family("shoal_gossip_packets_received_total", "counter", "Gossip datagrams received, accepted or not.");
  w.Sample("shoal_gossip_packets_received_total", static_cast<double>(c.packets_received));
  w.Family("shoal_gossip_sent_bytes_total", "counter", "Bytes of gossip datagrams sent.");
  w.Sample("shoal_gossip_sent_bytes_total", static_cast<double>(c.bytes_sent));
  w.Family("shoal_gossip_received_bytes_total", "counter", "Bytes of gossip datagrams received.");
  w.Sample("shoal_gossip_received_bytes_total", static_cast<double>(c.bytes_received));
  const std::pair<const char*, uint64_t> drops[] = {
      {"oversized", c.dropped_oversized},   {"truncated", c.dropped_truncated}, {"foreign", c.dropped_foreign},
      {"unknown_key", c.dropped_unknown_key}, {"forged", c.dropped_forged},     {"replayed", c.dropped_replayed},
      {"malformed", c.dropped_malformed},   {"own", c.dropped_own},             {"over_limit", c.dropped_over_limit}};
  w.Family("shoal_gossip_packets_dropped_total", "counter", "Gossip datagrams dropped, by reason.");
  for (const auto& [reason, n] : drops) w.Sample("shoal_gossip_packets_dropped_total", static_cast<double>(n), Label("reason", reason));
}

void Streams(const gossip::StreamCounters& c, Writer& w) {
  w.Family("shoal_stream_calls_total", "counter", "Peer-stream calls this node made (policy fetches, history, questions).");
  w.Sample("shoal_stream_calls_total", static_cast<double>(c.calls));
  w.Family("shoal_stream_call_failures_total", "counter", "Of those, calls that ended with an error or no answer.");
  w.Sample("shoal_stream_call_failures_total", static_cast<double>(c.call_failures));
  w.Family("shoal_stream_connections_retired_total", "counter",
           "Connections to peers given up because a call waited its whole timeout without a byte back.");
  w.Sample("shoal_stream_connections_retired_total", static_cast<double>(c.retired));
  w.Family("shoal_stream_connections_evicted_total", "counter",
           "Idle inbound connections closed to make room for a new one at the inbound limit.");
  w.Sample("shoal_stream_connections_evicted_total", static_cast<double>(c.evicted));
}

// How the policy documents travelled: pushes taken here, fetches from
// holders and why some failed, activations.
void Distribution(const policy::DistributionCounters& c, Writer& w) {
  w.Family("shoal_policy_pushes_total", "counter", "Policy pushes this node took, by result.");
  w.Sample("shoal_policy_pushes_total", static_cast<double>(c.pushes - c.refused_pushes), Label("result", "stamped"));
  w.Sample("shoal_policy_pushes_total", static_cast<double>(c.refused_pushes), Label("result", "refused"));
  w.Family("shoal_policy_fetches_total", "counter", "Policy documents asked of holders (a slow fetch asks more than one).");
  w.Sample("shoal_policy_fetches_total", static_cast<double>(c.fetches));
  w.Family("shoal_policy_fetch_hedges_total", "counter", "Holders asked while the ones asked before were slow to answer.");
  w.Sample("shoal_policy_fetch_hedges_total", static_cast<double>(c.fetch_hedges));
  const std::pair<const char*, uint64_t> failures[] = {{"error", c.fetch_failures},
                                                       {"digest_mismatch", c.digest_mismatches},
                                                       {"invalid_here", c.invalid_documents},
                                                       {"holder_gone", c.fetch_abandoned}};
  w.Family("shoal_policy_fetch_failures_total", "counter", "Policy fetches that did not bring a document in, by reason.");
  for (const auto& [reason, n] : failures) {
    w.Sample("shoal_policy_fetch_failures_total", static_cast<double>(n), Label("reason", reason));
  }
  w.Family("shoal_policy_activations_total", "counter", "Policy versions this node began to run.");
  w.Sample("shoal_policy_activations_total", static_cast<double>(c.activations));
  w.Family("shoal_policy_served_total", "counter", "Policy documents this node sent to peers that fetched them.");
  w.Sample("shoal_policy_served_total", static_cast<double>(c.served));
}

void Refused(const MetricsSources& s, Writer& w) {
  w.Family("shoal_refusals_total", "counter", "What each listener refused before or at authentication, by reason.");
  for (const auto& r : CollectRefusals(s.gossiper.counters(), s.streams, s.control)) {
    w.Sample("shoal_refusals_total", static_cast<double>(r.count),
             Label("listener", r.listener) + "," + Label("reason", r.reason));
  }
}

// Per live node: what it offers, and how old its figures are here (what
// this node plans from).
void Nodes(engine::NodeEngine& engine, TimePoint now, Writer& w) {
  const engine::PoolView& pool = engine.pool();
  w.Family("shoal_node_capacity_cores", "gauge", "CPU each live node offers the pool.");
  pool.ForEachLive([&](NodeId, const engine::PoolView::Node& n) {
    w.Sample("shoal_node_capacity_cores", n.status.capacity_m / 1000.0, Label("node", n.status.name));
  });
  w.Family("shoal_node_status_age_seconds", "gauge", "Time since each live node's current status arrived here.");
  pool.ForEachLive([&](NodeId, const engine::PoolView::Node& n) {
    w.Sample("shoal_node_status_age_seconds", std::chrono::duration<double>(now - n.received).count(),
             Label("node", n.status.name));
  });
}

void Control(const ControlCounters* c, Writer& w) {
  if (c == nullptr) return;
  w.Family("shoal_control_requests_total", "counter", "Control API requests answered.");
  w.Sample("shoal_control_requests_total", static_cast<double>(c->served));
}

// The pool-wide side of the plan, alike on every node (planning from
// figures: the levels', applications with a policy only).
void Plan(engine::NodeEngine& engine, Writer& w) {
  const policy::CpuPlan& plan = engine.pool_plan();
  const policy::PoolLevels* levels = engine.plans_from_figures() ? engine.figures()->levels() : nullptr;
  w.Family("shoal_pool_capacity_cores", "gauge", "CPU the live nodes offer the pool.");
  w.Sample("shoal_pool_capacity_cores", plan.pool_capacity / 1000.0);
  struct Figure {
    const char* name;
    const char* help;
    double policy::AppPlan::*field;
  };
  static const Figure kFigures[] = {
      {"shoal_app_usage_cores", "CPU an application used, pool-wide.", &policy::AppPlan::usage},
      {"shoal_app_demand_cores", "CPU an application wanted, pool-wide.", &policy::AppPlan::demand},
      {"shoal_app_booked_cores", "CPU booked for an application, pool-wide.", &policy::AppPlan::booked},
      {"shoal_app_allocated_cores", "CPU allocated to an application, pool-wide.", &policy::AppPlan::allocated}};
  for (const Figure& f : kFigures) {
    w.Family(f.name, "gauge", f.help);
    for (const auto& a : plan.apps) w.Sample(f.name, a.*(f.field) / 1000.0, Label("app", a.name));
  }
  w.Family("shoal_app_instances", "gauge", "Instances of an application in the pool.");
  for (size_t a = 0; a < plan.apps.size(); ++a) {
    const size_t instances = levels ? levels->instances[a] : plan.apps[a].instances.size();
    w.Sample("shoal_app_instances", static_cast<double>(instances), Label("app", plan.apps[a].name));
  }
}

void Events(engine::NodeEngine& engine, const EventSinks* sinks, Writer& w) {
  w.Family("shoal_events_total", "counter", "Events this node raised, by type.");
  for (const auto& [type, n] : engine.events().counts()) w.Sample("shoal_events_total", static_cast<double>(n), Label("type", type));
  if (sinks == nullptr) return;
  struct Figure {
    const char* name;
    const char* type;
    const char* help;
    uint64_t SinkCounters::*field;
  };
  static const Figure kFigures[] = {
      {"shoal_event_sink_delivered_total", "counter", "Events a sink handed over for good.", &SinkCounters::delivered},
      {"shoal_event_sink_failures_total", "counter", "Delivery attempts that failed (a retry may follow).",
       &SinkCounters::failures},
      {"shoal_event_sink_dropped_total", "counter", "Events a sink gave up: queue full, retries spent, refused.",
       &SinkCounters::dropped},
      {"shoal_event_sink_queued", "gauge", "Events waiting in a sink's queue.", &SinkCounters::queued}};
  for (const Figure& f : kFigures) {
    w.Family(f.name, f.type, f.help);
    for (const auto& sink : sinks->sinks()) {
      w.Sample(f.name, static_cast<double>(sink->counters().*(f.field)),
               Label("sink", sink->name()) + "," + Label("kind", sink->kind()));
    }
  }
}

// Per pipe and direction of the active policy, and per application on it:
// what the pool's nodes sent, wanted and were allocated (their last
// sampling period), and the capacity and bookings.
void Pipes(const engine::NodeEngine& engine, Writer& w) {
  const auto report = engine.PipeReport();
  if (report.empty()) return;
  using Row = engine::PipeFiguresRow;
  struct Figure {
    const char* suffix;
    const char* help;
    uint64_t Row::*field;
  };
  static const Figure kFigures[] = {{"used", "sent", &Row::used},
                                    {"demand", "wanted (the latest credit round's estimate)", &Row::demand},
                                    {"allocated", "allocated", &Row::allocated}};
  auto lane_labels = [](const engine::PipeLaneReport& l) {
    return Label("pipe", l.lane.pipe) + "," + Label("direction", l.lane.direction == policy::Direction::kIn ? "in" : "out");
  };
  w.Family("shoal_pipe_capacity_bytes_per_second", "gauge", "A pipe's capacity in one direction.");
  for (const auto& l : report) w.Sample("shoal_pipe_capacity_bytes_per_second", static_cast<double>(l.capacity), lane_labels(l));
  for (const Figure& f : kFigures) {
    const std::string name = fmt::format("shoal_pipe_{}_bytes_per_second", f.suffix);
    w.Family(name.c_str(), "gauge", fmt::format("What the pool's nodes {} on a pipe in one direction.", f.help).c_str());
    for (const auto& l : report) w.Sample(name.c_str(), static_cast<double>(l.figures.*(f.field)), lane_labels(l));
  }
  w.Family("shoal_pipe_app_booked_bytes_per_second", "gauge", "An application's booking on a pipe by the policies in force.");
  for (const auto& l : report) {
    for (const auto& a : l.apps) {
      w.Sample("shoal_pipe_app_booked_bytes_per_second", static_cast<double>(a.booked), lane_labels(l) + "," + Label("app", a.app));
    }
  }
  for (const Figure& f : kFigures) {
    const std::string name = fmt::format("shoal_pipe_app_{}_bytes_per_second", f.suffix);
    w.Family(name.c_str(), "gauge", fmt::format("What an application's instances {} on a pipe, pool-wide.", f.help).c_str());
    for (const auto& l : report) {
      for (const auto& a : l.apps) {
        w.Sample(name.c_str(), static_cast<double>(a.figures.*(f.field)), lane_labels(l) + "," + Label("app", a.app));
      }
    }
  }
}

// The history store's writes on this node: its own periods and rows, and
// what it applied for the nodes it keeps copies of.
void Store(const store::HistoryStore* history, Writer& w) {
  if (history == nullptr) return;
  using SC = store::StoreCounters;
  static const CounterFigure<SC> kFigures[] = {
      {"shoal_store_periods_recorded_total", "Periods of this node's own figures written to its history.",
       &SC::batches},
      {"shoal_store_rows_written_total", "Rows written to the history store (own, replicated and copied).",
       &SC::rows_written},
      {"shoal_store_replica_appends_total", "Batches of other nodes' history applied here as their replica.",
       &SC::appends},
      {"shoal_store_replica_refused_total", "Replication messages refused: malformed, or a gap in the sequence.",
       &SC::refused},
      {"shoal_store_rollup_rows_total", "Minute and hour roll-up rows written.", &SC::rolled_up},
      {"shoal_store_log_syncs_total", "Flushes of the history's write-ahead log to disk.", &SC::log_syncs},
      {"shoal_store_write_failures_total", "History writes and syncs the disk failed (full or failing).",
       &SC::write_failures},
      {"shoal_store_write_resumes_total", "Times the history store wrote again after the disk failed a write.",
       &SC::write_resumes},
      {"shoal_store_restored_rows_total",
       "Rows of this node's earlier history stores got back from their holders after its store started afresh.",
       &SC::restored_rows}};
  CounterFamilies(history->counters(), kFigures, w);
}

// The roll-up of the pool's figures (gossip/rollup.h) and the levels
// planned from them (engine/figure_planner.h), on every node that may
// plan from figures: what it carries for its zones and for the pool is
// what makes one node busier than the rest.
void Figures(const engine::NodeEngine& engine, Writer& w) {
  const engine::FigurePlanner* figures = engine.figures();
  if (figures == nullptr) return;
  const gossip::Rollup& r = figures->rollup();
  w.Family("shoal_planning_from_figures", "gauge", "1 while this node plans its row from the pool's figures.");
  w.Sample("shoal_planning_from_figures", engine.plans_from_figures() ? 1 : 0);
  w.Family("shoal_rollup_zones_held", "gauge", "Roll-up zones this node represents, its own included.");
  w.Sample("shoal_rollup_zones_held", static_cast<double>(r.zones_held()));
  w.Family("shoal_rollup_represents_pool", "gauge", "1 while this node represents the pool (receives the whole).");
  w.Sample("shoal_rollup_represents_pool", r.represents_pool() ? 1 : 0);
  using RC = gossip::RollupCounters;
  static const CounterFigure<RC> kRollup[] = {
      {"shoal_rollup_parts_sent_total", "Zone parts sent up the roll-up tree.", &RC::sent},
      {"shoal_rollup_part_send_failures_total", "Zone parts sent up and not taken.", &RC::send_failures},
      {"shoal_rollup_parts_received_total", "Parts taken from the zones under the ones held here.", &RC::received},
      {"shoal_rollup_parts_refused_total", "Parts refused: malformed, too large, or for a zone not held here.",
       &RC::refused},
      {"shoal_rollup_parts_expired_total", "Children's parts dropped when not refreshed.", &RC::expired},
      {"shoal_rollup_wholes_total", "The pool's whole handed over here, as its representative.", &RC::wholes},
      {"shoal_rollup_part_sent_bytes_total", "Bytes of parts sent up, deltas at their size.", &RC::bytes_sent},
      {"shoal_rollup_part_received_bytes_total", "Bytes of parts taken.", &RC::bytes_received},
      {"shoal_rollup_part_deltas_sent_total", "Parts sent up as a delta from the part the receiver held.",
       &RC::deltas_sent},
      {"shoal_rollup_part_deltas_received_total", "Parts taken as a delta.", &RC::deltas_received},
      {"shoal_rollup_part_deltas_refused_total", "Deltas refused: from a part not held here.", &RC::deltas_refused},
      {"shoal_rollup_down_sent_total", "Versions passed down the tree to the nodes whose parts are held here.",
       &RC::down_sent},
      {"shoal_rollup_down_heard_total", "New versions heard down the tree.", &RC::down_heard},
      {"shoal_rollup_down_ignored_total", "Versions down the tree ignored: old, or not from the pool's representative.",
       &RC::down_ignored},
      {"shoal_rollup_down_sent_bytes_total", "Bytes of versions passed down.", &RC::down_bytes_sent}};
  CounterFamilies(r.counters(), kRollup, w);
  using FC = engine::FigureCounters;
  static const CounterFigure<FC> kLevels[] = {
      {"shoal_levels_heard_total", "New levels heard from the pool's representative.", &FC::levels_heard},
      {"shoal_levels_refused_total", "Levels that did not decode.", &FC::levels_refused},
      {"shoal_levels_published_total", "Levels published by this node, representing the pool.", &FC::levels_published},
      {"shoal_levels_too_large_total", "Levels over a gossip entry, not published.", &FC::levels_too_large},
      {"shoal_rollup_parts_undecodable_total", "Children's parts that did not decode (not merged).",
       &FC::parts_refused}};
  CounterFamilies(figures->counters(), kLevels, w);
}

// Where the daemon's memory goes: a long-running daemon's RSS is only
// shown bounded when its parts are.
void Memory(const store::HistoryStore* history, Writer& w) {
  constexpr const char* kName = "shoal_daemon_memory_bytes";
  w.Family(kName, "gauge",
           "The daemon's memory by part: resident_anonymous and resident_files (its RSS: allocated memory, and "
           "pages of its binary and libraries), heap_in_use, heap_free (freed, kept by malloc) and heap_mmapped "
           "(large blocks), and the history store's memtables, block_cache and table_readers.");
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    for (const auto& [field, part] : {std::pair{"RssAnon:", "resident_anonymous"}, {"RssFile:", "resident_files"}}) {
      uint64_t kb = 0;
      if (line.starts_with(field) && std::sscanf(line.c_str() + std::strlen(field), "%" SCNu64, &kb) == 1) {
        w.Sample(kName, static_cast<double>(kb) * 1024, Label("part", part));
      }
    }
  }
  const struct mallinfo2 heap = mallinfo2();
  w.Sample(kName, static_cast<double>(heap.uordblks), Label("part", "heap_in_use"));
  w.Sample(kName, static_cast<double>(heap.fordblks), Label("part", "heap_free"));
  w.Sample(kName, static_cast<double>(heap.hblkhd), Label("part", "heap_mmapped"));
  if (history == nullptr) return;
  const store::HistoryStore::MemoryUse m = history->Memory();
  w.Sample(kName, static_cast<double>(m.memtables), Label("part", "memtables"));
  w.Sample(kName, static_cast<double>(m.block_cache), Label("part", "block_cache"));
  w.Sample(kName, static_cast<double>(m.table_readers), Label("part", "table_readers"));
}

// Enforcement errors in force and how far the history's replicas are behind.
void Health(engine::NodeEngine& engine, Writer& w) {
  size_t errors = 0;
  for (const auto& [app, g] : engine.cpu().control().groups()) errors += !g.error.empty();
  w.Family("shoal_enforcement_errors", "gauge", "Applications whose CPU share this node cannot enforce now.");
  w.Sample("shoal_enforcement_errors", static_cast<double>(errors));
  if (engine::HistoryRecorder* h = engine.history()) {
    w.Family("shoal_history_replica_lag_periods", "gauge",
             "Recorded periods of this node's history its replicas do not hold yet.");
    w.Sample("shoal_history_replica_lag_periods", static_cast<double>(h->ReplicaLag()));
  }
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderMetrics(const MetricsSources& s) {
  Writer w;
  const BuildInfo& b = Build();
  w.Family("shoal_build_info", "gauge", "The build this daemon runs (always 1).");
  w.Sample("shoal_build_info", 1,
           Label("version", std::string(b.version)) + "," + Label("commit", std::string(b.commit)) + "," +
               Label("protocols", fmt::format("{}-{}", s.gossiper.config().protocol.min,
                                              s.gossiper.config().protocol.max)));
  Members(s.gossiper, w);
  Exchange(s.gossiper.counters(), w);
  Streams(s.streams, w);
  Distribution(s.engine.policies().distribution().counters(), w);
  Refused(s, w);
  Control(s.control, w);
  Nodes(s.engine, s.gossiper.Now(), w);
  Plan(s.engine, w);
  Pipes(s.engine, w);
  Events(s.engine, s.sinks, w);
  Figures(s.engine, w);
  Health(s.engine, w);
  Memory(s.history, w);
  Store(s.history, w);
  return w.Take();
}

}  // namespace shoal::daemon
