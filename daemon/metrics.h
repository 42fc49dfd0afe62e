// The daemon's figures in Prometheus' text format (version 0.0.4), for
// GET /metrics (daemon/http_server.h): the build, the members by state,
// the exchange's packets, bytes and drops by reason, peer-stream calls, their
// failures and retired connections, policy pushes, fetches (and why they
// failed) and activations, the refusals of every
// listener, control API requests, per live node its capacity and the age
// of its status here, the pool's capacity and, per application of the
// pool's plan, its usage, demand, booking, allocation and instances; per
// pipe and direction (and application on it) capacity, use, demand,
// allocation and bookings; events and their sinks; the roll-up of the
// pool's figures (zones held, parts and versions down the tree, their
// bytes) and the levels heard; enforcement errors;
// the history store's writes and replica lag; the daemon's memory by part
// (resident anonymous and file pages, malloc's heap, RocksDB's memtables and
// cache). Names and units
// follow Prometheus' conventions (seconds, bytes, cores; counters end in
// _total). Free function; reads, never changes, what it is given.
#pragma once

#include <string>

#include "daemon/control_server.h"
#include "daemon/engine/node_engine.h"
#include "daemon/events/event_sinks.h"
#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"
#include "store/history_store.h"

namespace shoal::daemon {

struct MetricsSources {
  const gossip::Gossiper& gossiper;
  engine::NodeEngine& engine;
  const gossip::StreamCounters& streams;
  const ControlCounters* control = nullptr;  // none: no control API
  const EventSinks* sinks = nullptr;         // none: no sink
  const store::HistoryStore* history = nullptr;  // none: history off
};

std::string RenderMetrics(const MetricsSources& s);

// A label value as the text format wants it (\\, \" and \n escaped).
std::string EscapeLabel(const std::string& value);

}  // namespace shoal::daemon
