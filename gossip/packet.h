// The exchange's packet as plain values, and its Protocol Buffers codec.
// The engine never sees protobuf types; this file is the edge. Decoding
// treats its input as hostile: every bound is checked and a violation is an
// Error naming it, never a crash or an oversized allocation.
// Free functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/result.h"

namespace shoal::gossip {

// The exchange's protocol versions. A build speaks every version from
// kMinProtocolVersion to kProtocolVersion; each node announces its range in
// its heartbeat, and every node encodes its packets in the highest version
// that every live member speaks, so a pool upgrades one node at a time
// without a partition (gossip/membership.h, Gossiper::WireVersion).
//   1: the first.
//   2: heartbeats carry the sender's protocol range and build. Packets
//      are laid out as in 1.
inline constexpr uint32_t kProtocolVersion = 2;
inline constexpr uint32_t kMinProtocolVersion = 1;

// Versions travel as 32-bit numbers but are held in 16 bits (a member's
// record is kept for every peer): a heartbeat naming one above
// kMaxProtocolVersion is refused.
inline constexpr uint32_t kMaxProtocolVersion = 0xffff;
struct ProtocolRange {
  uint16_t min = kMinProtocolVersion;
  uint16_t max = kProtocolVersion;
  bool Contains(uint32_t v) const { return v >= min && v <= max; }
  bool operator==(const ProtocolRange&) const = default;
};
// An entry count travels in 8 bits in the original protocol; we keep its bound.
inline constexpr size_t kMaxEntriesPerPacket = 255;
// No payload may exceed this, whatever a channel declares.
inline constexpr size_t kMaxPayloadBytes = 1200;
inline constexpr uint32_t kMaxTtl = 16;
inline constexpr size_t kMaxDigestItems = 255;
// Ages above this are refused: nobody reports on nodes silent for an hour.
inline constexpr uint32_t kMaxDigestAgeMs = 3600 * 1000;

struct WireEntry {
  NodeId origin;
  uint32_t channel = 0;
  uint64_t version = 0;
  uint32_t ttl = 0;
  std::string payload;
  bool operator==(const WireEntry&) const = default;
};

struct LivenessItem {
  NodeId id;
  uint32_t age_ms = 0;
  uint32_t versions = 0;  // summary of the sender's versions of id's entries (see packet.proto)
  bool operator==(const LivenessItem&) const = default;
};

struct Packet {
  uint32_t version = kProtocolVersion;  // the protocol it came in (DecodePacket)
  bool want_sync = false;   // the sender asks for a full state transfer
  bool sync_reply = false;  // this packet is part of such a transfer
  bool probe = false;       // the sender suspects the receiver: answer directly
  std::vector<WireEntry> entries;
  std::vector<LivenessItem> liveness;
  bool operator==(const Packet&) const = default;
};

// Bytes an entry with these fields adds to an encoded packet (at most).
size_t EncodedEntrySize(uint32_t channel, uint64_t version, uint32_t ttl, size_t payload_size);
// The same for the largest possible field values.
size_t EncodedEntryBound(size_t payload_size);
// Upper bound of an encoded packet's fixed part (protocol version and the
// three flags, two bytes each).
inline constexpr size_t kPacketOverheadBound = 8;
// Upper bound of the bytes a liveness digest of n items adds.
inline constexpr size_t DigestBound(size_t n) { return n == 0 ? 0 : 3 * (1 + 3) + n * (8 + 5 + 4); }

// Encodes in protocol `version` (packet.version is what decoding found).
std::string EncodePacket(const Packet& packet, uint32_t version = kProtocolVersion);
// Rejects: unparsable bytes, another protocol version, more than
// kMaxEntriesPerPacket entries, a payload over kMaxPayloadBytes, a ttl over
// kMaxTtl, origin 0, channel 0, version 0; a digest with more than
// kMaxDigestItems items, ids, ages and versions of different counts, id 0,
// or an age over kMaxDigestAgeMs.
// A version outside `accepted` is refused too; the decoded packet keeps the
// version it came in.
Result<Packet> DecodePacket(std::span<const uint8_t> bytes, ProtocolRange accepted = {});

}  // namespace shoal::gossip
