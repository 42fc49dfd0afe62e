// What node engines moved, sent and received, summed over nodes: the
// exchange's datagrams and bytes, and the peer streams' bytes (snapshot
// epochs, the roll-up, policy fetches, history). The simulator and the
// emulated pool count alike.
#pragma once

#include <cstdint>

#include "gossip/gossiper.h"
#include "gossip/peer_streams.h"

namespace shoal::sim {

struct Traffic {
  uint64_t udp_bytes = 0, udp_packets = 0, stream_bytes = 0;

  void Add(const gossip::Gossiper& g, const gossip::PeerStreams& s) {
    const auto& c = g.counters();
    udp_bytes += c.bytes_sent + c.bytes_received;
    udp_packets += c.packets_sent + c.packets_received;
    stream_bytes += s.counters().bytes_sent + s.counters().bytes_received;
  }
  // What moved since `earlier`.
  Traffic Since(const Traffic& earlier) const {
    return {udp_bytes - earlier.udp_bytes, udp_packets - earlier.udp_packets, stream_bytes - earlier.stream_bytes};
  }
};

}  // namespace shoal::sim
