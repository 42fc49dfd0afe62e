// How late a periodic loop's ticks start (timer expiry to the handler
// running) and how long each takes, between two reports: the figure that
// says whether a process keeps up with its period (a daemon whose ticks
// start late sends its heartbeats late). Plain value; not thread-safe.
#pragma once

#include <algorithm>
#include <string>

#include "core/clock.h"
#include "core/percentile.h"

namespace shoal {

class TickLateness {
 public:
  // A tick due at `due` that started at `started` and ended at `ended`.
  void Add(TimePoint due, TimePoint started, TimePoint ended) {
    late_ms_.Add(std::max(0.0, ToMillis(started - due)));
    busy_ms_.Add(ToMillis(ended - started));
  }
  // "ticks 250: late p50 0.1 / p99 0.4 / max 1.2 ms, busy p50 0.2 / p99 0.9 ms",
  // then starts over.
  std::string Take();

 private:
  Histogram late_ms_, busy_ms_;
};

}  // namespace shoal
