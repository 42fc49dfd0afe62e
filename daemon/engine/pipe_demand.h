// The pipe demand (channel "pipe", code 5): what each node publishes every
// credit round, per lane (a pipe and direction it carries), the bytes each
// of its applications wants in the next interval, and (for the pool-wide
// view, not the division) what each sent and was allocated over the last
// sampling period. Lanes and application
// slots are indexes into the active policy document (pipe_lanes.h), named
// by the document's digest, so a figure is only read by nodes that index
// the same document. Only the slots that want something are sent. This
// codec is the only place that knows the wire format. Free functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gossip/registry.h"

namespace shoal::engine {

inline constexpr uint32_t kPipeChannel = gossip::channels::kPipe;
inline constexpr size_t kPipeDemandMaxBytes = 1200;
inline constexpr uint32_t kMaxLanes = 2 * 64;   // pipes x directions
inline constexpr uint32_t kMaxSlots = 1025;     // applications and the rogue slot
// Bytes one slot may want in one round (10 TB/s at 100 ms): sums over
// every slot of thousands of nodes stay far from overflowing.
inline constexpr uint64_t kMaxDemandBytes = uint64_t{1} << 40;
// Bytes per second of a period figure (the same 10 TB/s).
inline constexpr uint64_t kMaxRate = uint64_t{1} << 44;

struct LaneDemand {
  uint32_t lane = 0;
  std::vector<uint64_t> bytes;  // by slot; trailing zeros may be left out
  // By slot, bytes per second over the last sampling period (the same).
  std::vector<uint64_t> used, allocated;
  // Bytes per interval the node's classes fall back to if its daemon dies.
  uint64_t fallback = 0;
  bool operator==(const LaneDemand&) const;
};

struct PipeDemand {
  uint64_t round = 0;
  uint64_t document = 0;
  std::vector<LaneDemand> lanes;  // ascending lane, each at most once
  // The lanes' used, allocated and fallback are set (else: not sent, and
  // the receiver keeps the node's last ones).
  bool period = false;
  bool operator==(const PipeDemand&) const = default;
  const LaneDemand* Find(uint32_t lane) const;
};

// Figures above kMaxDemandBytes (kMaxRate) are sent as that. Fails
// (naming what is wrong) when it would not fit kPipeDemandMaxBytes.
Result<std::string> EncodePipeDemand(const PipeDemand& d);
// Refuses what is not a well-formed figure: lanes out of order, repeated
// or beyond kMaxLanes, slots beyond kMaxSlots or repeated, figures above
// kMaxDemandBytes (kMaxRate), slots and figures of different lengths.
Result<PipeDemand> DecodePipeDemand(std::string_view payload);

// A stable 64-bit digest of a policy version's text (FNV-1a).
uint64_t DocumentDigest(std::string_view version_text);

}  // namespace shoal::engine
