// What the exchange did, for operators and tests: every packet and entry
// dropped is counted under its reason. Plain values, read by copy.
#pragma once

#include <cstdint>

namespace shoal::gossip {

struct Counters {
  uint64_t packets_sent = 0;  // datagrams handed to the transport
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  uint64_t packets_accepted = 0;

  // Packets dropped, by reason.
  uint64_t dropped_oversized = 0;   // larger than kMaxDatagramBytes
  uint64_t dropped_truncated = 0;   // shorter than a sealed header
  uint64_t dropped_foreign = 0;     // not a Shoal packet (magic/format)
  uint64_t dropped_unknown_key = 0;
  uint64_t dropped_forged = 0;      // authentication failed
  uint64_t dropped_replayed = 0;
  uint64_t dropped_malformed = 0;   // authentic but does not decode / breaks a bound
  uint64_t dropped_own = 0;         // our own packet came back, or another process's with our id
  uint64_t name_conflicts = 0;      // of those, from another boot; and entries of ours from a newer boot
  uint64_t dropped_over_limit = 0;  // from a new sender the peer index had no room for

  // Entries.
  uint64_t entries_received = 0;
  uint64_t entries_new = 0;
  uint64_t entries_stale = 0;             // not newer than what we hold
  uint64_t entries_unknown_channel = 0;
  uint64_t entries_oversized = 0;         // payload above the channel's maximum
  uint64_t entries_from_reaped = 0;       // tombstoned origin
  uint64_t entries_bad_heartbeat = 0;
  uint64_t entries_over_limit = 0;        // a new origin past max_nodes

  uint64_t sync_requests_answered = 0;
  uint64_t repairs_sent = 0;  // entries sent back to a peer whose digest showed it behind
  uint64_t repair_bytes_sent = 0;  // their encoded size
  uint64_t stalls_forgiven = 0;
  uint64_t suspect_probes_sent = 0;      // to peers we suspected
  uint64_t suspect_probes_received = 0;  // from peers that suspected us
  uint64_t probes_sent = 0;          // to random peers (see prober.h)
  uint64_t accusations_made = 0;     // peers that answered none of them in time
  uint64_t refutations = 0;          // accusations of this node it refuted

  uint64_t dropped_total() const {
    return dropped_oversized + dropped_truncated + dropped_foreign + dropped_unknown_key +
           dropped_forged + dropped_replayed + dropped_malformed + dropped_own + dropped_over_limit;
  }
};

}  // namespace shoal::gossip
