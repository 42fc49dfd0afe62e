// libFuzzer target for everything a datagram can reach: the packet and
// heartbeat decoders directly, and a Gossiper's whole receive path with the
// input sealed under the pool key (so it gets past authentication, as a
// packet from a compromised or buggy peer would). Must never crash, leak or
// trip a sanitizer.
#include <cstddef>
#include <cstdint>

#include "gossip/gossiper.h"
#include "gossip/membership.h"
#include "gossip/packet.h"
#include "gossip/sim/sim_network.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

struct Target {
  ManualClock clock;
  Random random{1};
  SimNetwork net{clock, 1};
  SimTransport& transport = net.AddNode();
  Keyring keyring;
  std::unique_ptr<Gossiper> g;
  uint64_t seq = 0;
  Target() {
    Key k;
    k.fill(7);
    keyring.Add(k);
    g = std::make_unique<Gossiper>(GossipConfig::Lan(),
                                   NodeIdentity{NodeId{1}, 1, transport.local_endpoint()}, clock,
                                   random, transport, keyring);
    (void)g->RegisterChannel(ChannelSpec{10, "status", std::chrono::milliseconds(20), 64},
                             nullptr, [](const ChannelView& v) {
                               v.ForEach([](NodeId, const StoredEntry&) {});
                             });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target t;
  const std::span<const uint8_t> bytes(data, size);
  (void)DecodePacket(bytes);
  (void)DecodeHeartbeat(std::string_view(reinterpret_cast<const char*>(data), size));
  // Unsealed: must be dropped before anything is parsed.
  t.g->OnDatagram(Endpoint{0x7f000002, 1}, bytes);
  // Sealed by a "peer": reaches the decoder and the entry tables.
  const std::string sealed =
      Seal(t.keyring, SealHeader{NodeId{2 + (size % 5)}, 1, ++t.seq},
           std::string_view(reinterpret_cast<const char*>(data), size));
  t.g->OnDatagram(Endpoint{0x7f000002, 1},
                  std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(sealed.data()),
                                           sealed.size()));
  t.clock.Advance(std::chrono::milliseconds(20));
  t.g->Tick();
  return 0;
}
