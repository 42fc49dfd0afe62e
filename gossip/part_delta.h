// A roll-up part sent as what changed since the part its receiver holds
// (gossip/rollup.h). A zone's part goes up four times a second and, between
// two sends, only the figures of the nodes that changed in that quarter of
// a second differ: the rest of the bytes repeat. A delta is the new part
// compressed (zstd) with the old one as its dictionary, about half the
// part's size for the parts of large zones, which are what the pool's
// representative receives. Deltas are exact: the part rebuilt is the part
// sent, byte for byte.
//
// The receiver names the part it holds by its length and a 64-bit hash;
// a delta names the base it was made from, and one made from another base
// is refused (the sender then sends the whole part). Thread-safe (each
// thread keeps its own compression state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace shoal::gossip {

// What names a part: its length and a hash of its bytes (not a secret:
// the parts travel sealed with the pool key).
uint64_t PartHash(std::string_view part);

// `part` as a delta from `base`, or nothing when the delta would not be
// smaller than the part itself.
std::optional<std::string> EncodeDelta(std::string_view base, std::string_view part);

// The part `delta` encodes against `base`; an error naming what is wrong
// for a delta that does not decode against it, or would rebuild a part
// longer than `max_bytes`.
Result<std::string> ApplyDelta(std::string_view base, std::string_view delta, size_t max_bytes);

}  // namespace shoal::gossip
