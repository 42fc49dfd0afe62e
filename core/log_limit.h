// At most one log line per interval for a kind of event that a peer can
// cause at will (refused handshakes, datagrams under a foreign key), with
// the count of those not logged in between, so hostile input cannot flood
// the log yet is never silent. Plain value type; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "core/clock.h"

namespace shoal {

class LogLimit {
 public:
  explicit LogLimit(Duration interval = std::chrono::seconds(1)) : interval_(interval) {}
  // Whether to log now; if so, how many were held back since the last line.
  std::optional<uint64_t> Allow(TimePoint now) {
    if (logged_ && now - last_ < interval_) {
      ++held_;
      return std::nullopt;
    }
    logged_ = true;
    last_ = now;
    const uint64_t held = held_;
    held_ = 0;
    return held;
  }

 private:
  Duration interval_;
  TimePoint last_{};
  bool logged_ = false;
  uint64_t held_ = 0;
};

}  // namespace shoal
