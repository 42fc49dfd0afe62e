// The gossiper under test, alone: a recording transport (it delivers
// nothing), a manual clock, and helpers that seal packets from peers as
// they would arrive. Shared by the gossiper's tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gossip/gossiper.h"

namespace shoal::gossip::testing {

inline std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Records what the gossiper under test sends; delivers nothing.
class RecordingTransport final : public Transport {
 public:
  void Send(const Endpoint& to, std::span<const uint8_t> d) override {
    sent.emplace_back(to, std::string(reinterpret_cast<const char*>(d.data()), d.size()));
  }
  Endpoint local_endpoint() const override { return Endpoint{0x7f000001, 7000}; }
  void SetReceiver(Receiver r) override { receiver = std::move(r); }
  std::vector<std::pair<Endpoint, std::string>> sent;
  Receiver receiver;
};

struct Fixture {
  GossipConfig config = GossipConfig::Lan();
  ManualClock clock;
  Random random{17};
  RecordingTransport transport;
  Keyring keyring;
  std::unique_ptr<Gossiper> g;
  uint64_t seq = 0;

  Fixture() {
    Key k;
    k.fill(9);
    keyring.Add(k);
    g = std::make_unique<Gossiper>(config, NodeIdentity{NodeId{1}, 1, transport.local_endpoint()},
                                   clock, random, transport, keyring);
  }

  // A sealed packet from a peer, as it would arrive.
  std::string From(uint64_t sender, const Packet& p, uint64_t sequence = 0) {
    return Seal(keyring, SealHeader{NodeId{sender}, 1, sequence ? sequence : ++seq},
                EncodePacket(p));
  }
  void Deliver(const std::string& d) { g->OnDatagram(Endpoint{0x7f000002, 7000}, Bytes(d)); }

  // Makes `n` peers alive (with addresses) through their heartbeats.
  void AddPeers(uint64_t first, uint64_t n) {
    for (uint64_t i = first; i < first + n; ++i) {
      Packet p;
      p.entries.push_back(WireEntry{NodeId{i}, channels::kHeartbeat, 1, 1,
                                    EncodeHeartbeat(Heartbeat{1, Endpoint{0x7f000000u + uint32_t(i), 7000}, false, {}})});
      Deliver(From(i, p));
    }
  }

  std::vector<Packet> SentPackets() {
    std::vector<Packet> out;
    for (auto& [to, d] : transport.sent) {
      auto o = Open(keyring, Bytes(d));
      REQUIRE(o.ok());
      auto p = DecodePacket(Bytes(o->plaintext));
      REQUIRE(p.ok());
      out.push_back(*p);
    }
    return out;
  }
};


}  // namespace shoal::gossip::testing
