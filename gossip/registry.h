// Every channel code and stream-service code of Shoal's protocol, in one
// place. They are protocol numbers: append-only, never reused; a new
// component takes the next free one here.
#pragma once

#include <cstdint>

namespace shoal::gossip {

namespace channels {
inline constexpr uint32_t kHeartbeat = 1;  // the exchange's own: addresses, incarnations, accusations
inline constexpr uint32_t kNode = 2;       // each node's status (daemon/engine/node_status.h)
inline constexpr uint32_t kProbe = 3;      // pool probes (daemon/pool_probe.h)
inline constexpr uint32_t kPolicy = 4;     // policy versions announced (policy/distribution.h)
inline constexpr uint32_t kPipe = 5;       // per-application pipe demand, every credit round (daemon/engine/pipe_demand.h)
inline constexpr uint32_t kLevels = 6;     // the pool's CPU levels, from the node that represents the pool in the roll-up (policy/row_planner.h)
inline constexpr uint32_t kTotals = 7;     // the pool's totals per application, from the same node, once a second (daemon/engine/figures_codec.h)
inline constexpr uint32_t kSimStatus = 10; // shoal-sim's synthetic status (tools/shoal_sim.cc)
}  // namespace channels

// Request/response services on peer streams (gossip/peer_streams.h).
enum class StreamService : uint32_t {
  kEcho = 1,         // answers with the request; for tests and health checks
  kPolicyFetch = 2,  // a policy document by version (policy/distribution.h)
  kHistory = 3,      // history replication and queries (store/history_service.h)
  kSnapshot = 4,     // snapshot epochs, down the distribution tree (gossip/snapshot.h)
  // 5-7 served operators' commands before the control API; not reused.
  kIdentity = 8,     // "is node X live, and where?" (gossip/identity_check.h)
  kEvents = 9,       // recent events, for pool-wide event questions (daemon/engine/event_service.h)
  kKeyring = 10,     // the pool's gossip keys, listed and changed pool-wide (daemon/keyring_service.h)
  kRollup = 11,      // a zone's part of a pool-wide sum, up the roll-up tree (gossip/rollup.h)
  kDetail = 12,      // one node's detail and the pool's figures, asked on demand (daemon/engine/node_detail.h)
};

}  // namespace shoal::gossip
