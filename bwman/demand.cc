#include "bwman/demand.h"

#include <algorithm>
#include <bit>

namespace shoal::bwman {

bool Held(const ClassInterval& c, const DemandOptions& options) {
  if (c.limit == 0) return false;
  return c.backlog > 0 || c.dropped > 0 ||
         static_cast<double>(c.sent) >= options.held_at * static_cast<double>(c.limit);
}

uint64_t EstimateDemand(const ClassInterval& c, uint64_t booking_left, uint64_t room, const DemandOptions& options) {
  if (!Held(c, options)) return c.sent;
  const auto grown = static_cast<uint64_t>(static_cast<double>(c.sent) * options.growth);
  return std::max({c.sent + c.backlog, grown, c.sent + room, c.sent + booking_left, options.floor});
}

uint64_t Coarsen(uint64_t bytes) {
  const int width = std::bit_width(bytes);
  if (width <= 4) return bytes;
  const int drop = width - 4;
  const uint64_t unit = uint64_t{1} << drop;
  const uint64_t down = bytes >> drop << drop;
  return down == bytes ? bytes : down + unit;
}

}  // namespace shoal::bwman
