// Settings of the information exchange, with every default next to its
// field and named presets. Plain value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "gossip/packet.h"

namespace shoal::gossip {

// Datagrams larger than this are dropped unread (jumbo frames at most).
inline constexpr size_t kMaxDatagramBytes = 9000;

struct GossipConfig {
  // High-frequency tick: packets are built and sent once per period.
  // 5..1000 ms.
  Duration period = std::chrono::milliseconds(20);
  // Peers each packet goes to (random-subset fan-out). 1..16.
  size_t fanout = 3;
  // Hops an entry may travel: a receiver stores it with the received TTL
  // minus one and forwards it only while that is above zero. It bounds the
  // spread. 1..16. The least: larger pools need more hops and get them
  // (TtlFor).
  uint32_t max_ttl = 8;
  // Packets from each node that carry a newly learnt entry (each to
  // `fanout` peers): fanout * sends copies reach the average node, which
  // sets how reliably an update reaches every node. 1..16. The least:
  // larger pools need more copies and get them (SendsFor).
  uint32_t sends = 4;
  // Largest datagram sent, sealing included. 256..9000.
  size_t mtu = 1400;
  // An own entry whose TTL ran out is re-sent after a random delay drawn
  // from [0, range); the range starts here, doubles each time, and stops
  // growing at backoff_max. A changed payload resets it. On a channel with
  // a publisher the delay also waits out the channel's period first (a
  // changed entry goes out anew by then).
  Duration backoff_base = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(5);

  // Membership. Liveness travels in every packet as a digest: the sender
  // itself at age 0, then the next live peers (a rotating window) with how
  // long ago the sender last had a sign of life from each. The window is
  // pool size / 8, kept within these bounds.
  size_t digest_items_min = 8;
  size_t digest_items_max = 24;
  // In a pool too large for the window to go round in half a second
  // (more than 25 periods a cycle), each digest also lists this many
  // origins that this node received news of lately or is behind on, so a
  // node a wave missed catches up within a few periods (see CatchUp).
  // 0..16; 0: off.
  size_t catch_up_items = 4;
  // Timeouts stretch in large pools, where news of life takes longer to
  // go round: see Membership::Stretch.
  // Digest ages are measured at the sender; the time a packet spends on
  // the wire is not in them (its wait in the receiver's socket is: the
  // transport reports it). Each received age is taken as this much older,
  // which must cover the wire: otherwise news about a dead node comes back
  // a little fresher on every lap and keeps it alive for ever. 2 ms covers
  // a LAN; raise it for slower links.
  Duration transit_allowance = std::chrono::milliseconds(2);
  // A node silent this long is suspected (shown, still gossiped with).
  Duration suspect_timeout = std::chrono::milliseconds(700);
  // A node silent this long is declared failed.
  Duration failure_timeout = std::chrono::milliseconds(1200);
  // While a peer is suspect, it is sent a probe this often; it answers
  // with its next packet, straight back, which is news of life that no
  // relay can delay. So a live node whose news travels slowly (loss, a
  // large pool) is not declared failed; a dead one does not answer.
  // At most one round of probes per tick; 0: no probes.
  Duration suspect_probe_interval = std::chrono::milliseconds(100);
  // Every probe_interval (jittered) a node starts probing one live peer
  // drawn at random, with a probe every tick, until any packet from the
  // peer arrives; a peer silent for probe_timeout is accused, and the
  // accusation spreads in the accuser's heartbeat (see prober.h and
  // accusations.h). Pool-wide some node probes any given peer about once
  // per interval, so detection does not slow down as the pool grows. Only
  // where that convicts before silence would (Membership::
  // AccusationsFaster: from about 200 nodes at these defaults).
  // The wait for the first probe of a crashed node is about exponential
  // with the interval as its mean, the largest part of the detection time
  // that is not a timeout: at 1,024 simulated nodes (mean of several
  // seeds' p99) 200 -> 100 ms took crash detection from 2.25 to 1.9 s,
  // 100 -> 50 ms from 1.54 to 1.47 s (after the other changes), each time
  // at about 1% in bytes (a probe is a small datagram, its answer a packet
  // the peer sends anyway; at 256 nodes 50 ms sends 4.5% more packets).
  // Interval 0..60000 ms, 0: no probes; timeout 2 periods up to the
  // failure timeout.
  Duration probe_interval = std::chrono::milliseconds(50);
  Duration probe_timeout = std::chrono::milliseconds(400);
  // Failed or departed nodes are forgotten (their entries dropped) after this.
  Duration reap_after = std::chrono::seconds(60);
  // A reaped node's stale entries are refused for this long afterwards.
  Duration tombstone_for = std::chrono::seconds(300);
  // Chance per tick of also sending to one failed (not yet reaped) node, so
  // partitions heal.
  double dead_probe_chance = 0.05;
  // While it knows live peers, a node still contacts one seed this often,
  // or less often in a large pool (SeedIntervalFor).
  Duration seed_interval = std::chrono::seconds(10);
  // At most this many such contacts reach each seed a second, pool-wide.
  double seed_contacts_per_s = 10;
  // A gap between two ticks longer than this means this node itself stalled:
  // it does not blame its peers for the silence it caused.
  Duration stall_threshold = std::chrono::milliseconds(300);
  // A node answers one full-state request per requester per this period.
  Duration sync_cooldown = std::chrono::seconds(1);
  // Most nodes a node keeps track of (members, and origins per channel):
  // what arrives beyond it is dropped and counted, so a faulty or hostile
  // peer cannot make a node grow without bound.
  size_t max_nodes = 65536;
  // Most packets one full-state answer may take.
  size_t max_sync_packets = 256;
  // The protocol versions this node speaks (gossip/packet.h); a test makes
  // a node of an older build by narrowing it.
  ProtocolRange protocol;

  // Sends per new entry in a pool of `live_nodes`: at least `sends`, and
  // enough that, in the push wave alone, an update reaches every node of
  // the pool in about 99.7% of cases with 5% of datagrams lost. When each
  // node passes an update to ln(n) + c others, everyone gets it with a
  // probability near exp(-exp(-c)) (Kermarrec, Massoulie and Ganesh,
  // "Probabilistic reliable dissemination in large-scale systems", 2003);
  // c = 6 here. So 4 up to about 220 nodes, 5 up to about 3,800, 6 up to
  // about 66,000. A node that still misses one is repaired from digests,
  // which takes up to a digest cycle (seconds in a large pool).
  uint32_t SendsFor(size_t live_nodes) const;

  // TTL of own entries in a pool of `live_nodes`: at least `max_ttl`, and
  // log_(fanout+1)(n) + 6, at most kMaxTtl. The first copy of an update a
  // node receives decides how far it forwards it (later copies of the same
  // version are stale), and first copies come down the fastest path: each
  // tick a node holding the update passes it to `fanout` more, so the wave
  // front is log_(fanout+1)(n) hops deep when it covers the pool. The 6
  // hops beyond let the last nodes be reached by nodes that still forward
  // (at 4,096 nodes, 5% loss: 5 left the slowest update 256 ms, 6 left it
  // 172 ms, 2 left one 3.5 s). So 8 up to 16 nodes, 10 at 128, 13 at
  // 10,000.
  uint32_t TtlFor(size_t live_nodes) const;

  // How often a node in a pool of `live_nodes` with `seeds` seeds contacts
  // one of them: seed_interval, stretched so that each seed hears
  // seed_contacts_per_s contacts a second at most (the pool as a whole
  // still knocks on the seeds' doors that often, which is what heals a
  // partition). Unstretched, each of 3 seeds of 10,000 simulated nodes
  // took 333 more packets a second, 130 KB/s: the busiest node of the
  // pool. 10 s up to 300 nodes with 3 seeds, 333 s at 10,000.
  Duration SeedIntervalFor(size_t live_nodes, size_t seeds) const;

  // The same exchange as fan-out kTimingFanout at the period that passes
  // news on at the same rate (period x 3 / fanout; fanout and period
  // otherwise as here). Membership's timeouts were tuned at fan-out 3 and
  // take their periods and hop counts from this: how long news of life and
  // accusations take to go round is set by how many peers a node tells per
  // second, not per tick (shoal-sim, 128 nodes, 5% loss: silence about a
  // live node p99.9 505 ms at 20 ms and fan-out 3, 511 ms at 40 ms and 6).
  GossipConfig AtTimingFanout() const;
  static constexpr size_t kTimingFanout = 3;

  // Presets.
  static GossipConfig Lan();        // the defaults above
  static GossipConfig LocalTest();  // loopback pools: slower tick, same timeouts

  // Checks every bound; the error names the field and its allowed range.
  Status Validate() const;
};

}  // namespace shoal::gossip
