#include "gossip/packet.h"

#include <cstddef>

#include <google/protobuf/arena.h>

#include "packet.pb.h"

namespace shoal::gossip {

namespace {

// A packet's protobuf objects live in an arena whose first block is on the
// stack: a packet of up to an MTU or so costs no heap allocation for its
// entries, strings and digest arrays (the payloads handed out are copied).
constexpr size_t kArenaBlock = 8 << 10;

struct PacketArena {
  alignas(std::max_align_t) char block[kArenaBlock];
  google::protobuf::Arena arena{Options(block)};

  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = kArenaBlock;
    return o;
  }
  wire::Packet* NewPacket() { return google::protobuf::Arena::CreateMessage<wire::Packet>(&arena); }
};

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
}  // namespace

size_t EncodedEntrySize(uint32_t channel, uint64_t version, uint32_t ttl, size_t payload_size) {
  // Zero fields are left out by proto3; counting them anyway keeps this an
  // upper bound.
  const size_t inner = 9 + 1 + VarintSize(channel) + 1 + VarintSize(version) + 1 +
                       VarintSize(ttl) + 1 + VarintSize(payload_size) + payload_size;
  return 1 + VarintSize(inner) + inner;
}

size_t EncodedEntryBound(size_t payload_size) {
  return EncodedEntrySize(UINT32_MAX, UINT64_MAX, UINT32_MAX, payload_size);
}

std::string EncodePacket(const Packet& packet, uint32_t version) {
  PacketArena a;
  wire::Packet& p = *a.NewPacket();
  p.set_protocol_version(version);
  p.set_want_sync(packet.want_sync);
  p.set_sync_reply(packet.sync_reply);
  p.set_probe(packet.probe);
  p.mutable_entries()->Reserve(static_cast<int>(packet.entries.size()));
  for (const auto& e : packet.entries) {
    auto* w = p.add_entries();
    w->set_origin(e.origin.value);
    w->set_channel(e.channel);
    w->set_version(e.version);
    w->set_ttl(e.ttl);
    w->set_payload(e.payload);
  }
  for (const auto& item : packet.liveness) {
    p.add_live_ids(item.id.value);
    p.add_live_ages_ms(item.age_ms);
    p.add_live_versions(item.versions);
  }
  return p.SerializeAsString();
}

Result<Packet> DecodePacket(std::span<const uint8_t> bytes, ProtocolRange accepted) {
  PacketArena a;
  wire::Packet& p = *a.NewPacket();
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("malformed packet ({} bytes do not parse)", bytes.size());
  }
  if (!accepted.Contains(p.protocol_version())) {
    return MakeError("protocol version {} (this node speaks {} to {})", p.protocol_version(), accepted.min,
                     accepted.max);
  }
  if (static_cast<size_t>(p.entries_size()) > kMaxEntriesPerPacket) {
    return MakeError("{} entries (at most {})", p.entries_size(), kMaxEntriesPerPacket);
  }
  if (p.live_ids_size() != p.live_ages_ms_size() ||
      p.live_ids_size() != p.live_versions_size()) {
    return MakeError("liveness digest: {} ids but {} ages and {} versions", p.live_ids_size(),
                     p.live_ages_ms_size(), p.live_versions_size());
  }
  if (static_cast<size_t>(p.live_ids_size()) > kMaxDigestItems) {
    return MakeError("liveness digest: {} items (at most {})", p.live_ids_size(),
                     kMaxDigestItems);
  }
  Packet out;
  out.version = p.protocol_version();
  out.liveness.reserve(static_cast<size_t>(p.live_ids_size()));
  for (int i = 0; i < p.live_ids_size(); ++i) {
    if (p.live_ids(i) == 0 || p.live_ages_ms(i) > kMaxDigestAgeMs) {
      return MakeError("liveness digest item {}: id 0 or age {} ms over {}", i, p.live_ages_ms(i),
                       kMaxDigestAgeMs);
    }
    out.liveness.push_back(
        LivenessItem{NodeId{p.live_ids(i)}, p.live_ages_ms(i), p.live_versions(i)});
  }
  out.want_sync = p.want_sync();
  out.sync_reply = p.sync_reply();
  out.probe = p.probe();
  out.entries.reserve(static_cast<size_t>(p.entries_size()));
  for (int i = 0; i < p.entries_size(); ++i) {
    const wire::Entry& w = p.entries(i);
    if (w.payload().size() > kMaxPayloadBytes) {
      return MakeError("entry {}: payload of {} bytes (at most {})", i, w.payload().size(),
                       kMaxPayloadBytes);
    }
    if (w.ttl() > kMaxTtl) {
      return MakeError("entry {}: ttl {} (at most {})", i, w.ttl(), kMaxTtl);
    }
    if (w.origin() == 0 || w.channel() == 0 || w.version() == 0) {
      return MakeError("entry {}: origin, channel and version must be non-zero", i);
    }
    out.entries.push_back(WireEntry{NodeId{w.origin()}, w.channel(), w.version(), w.ttl(), w.payload()});
  }
  return out;
}

}  // namespace shoal::gossip
