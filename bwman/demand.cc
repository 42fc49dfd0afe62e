#include "bwman/demand.h"

#include <algorithm>
#include <bit>

namespace shoal::bwman {

bool Held(const ClassInterval& c) {
  return c.limit > 0 && (c.dropped > 0 || (c.backlog > 0 && c.backlog >= c.backlog_before));
}

uint64_t EstimateDemand(const ClassInterval& c, uint64_t booking_left, uint64_t room, const DemandOptions& options) {
  const bool starting = c.sent > 0 && c.sent_before == 0;
  if (!Held(c)) {
    // Arrived in the interval: what went out, less what the queue gave up.
    const uint64_t arrived = c.sent + c.backlog - std::min(c.backlog_before, c.sent + c.backlog);
    const uint64_t wants = arrived + c.backlog;
    return starting ? wants + booking_left : wants;
  }
  const auto grown = static_cast<uint64_t>(static_cast<double>(c.sent) * options.growth);
  const uint64_t frame = c.packets > 0 ? std::max<uint64_t>(1, c.sent / c.packets) : options.floor;
  const uint64_t offered = c.sent + (c.backlog - std::min(c.backlog, c.backlog_before)) + c.dropped * frame;
  return std::max({c.limit + c.backlog, grown, offered, c.sent + room, c.sent + booking_left, options.floor});
}

uint64_t Coarsen(uint64_t bytes, int bits) {
  const int width = std::bit_width(bytes);
  if (width <= bits) return bytes;
  const int drop = width - bits;
  const uint64_t unit = uint64_t{1} << drop;
  const uint64_t down = bytes >> drop << drop;
  return down == bytes ? bytes : down + unit;
}

uint64_t CoarsenDown(uint64_t bytes, int bits) {
  const int width = std::bit_width(bytes);
  return width <= bits ? bytes : bytes >> (width - bits) << (width - bits);
}

}  // namespace shoal::bwman
