// How shoalctl's history answers read for people, shared by `history`,
// `report` and the pipe report: amounts, spans, the answer's header line,
// runs of buckets, and ten-bucket histograms. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "control.pb.h"

namespace shoal::ctl {

// Millicores as cores, "1.25".
std::string Cores(double millicores);
// A fraction as a whole percentage, "42%".
std::string Percent(double fraction);
// A step as "1d", "6h", "5m", "10s" or "250ms".
std::string SpanText(int64_t ms);
// "FROM to TO UTC, every STEP (from LEVEL rows)", then replicas and failures.
std::string AnswerHeader(const daemon::control::HistoryAnswer& a);

// A run of consecutive buckets.
struct TimeSpan {
  int64_t from_ms = 0, to_ms = 0;
};
// Runs of consecutive buckets (of `step` ms) where `in` holds; `points` in time order.
std::vector<TimeSpan> Runs(const std::vector<const daemon::control::HistoryPoint*>& points, int64_t step,
                           const std::function<bool(const daemon::control::HistoryPoint&)>& in);
std::string SpanLine(const TimeSpan& s);  // "FROM - TO"

// Counts of values in [0, 1] by tenths (the last holds >= 0.9, over 1 included).
using Tenths = std::array<uint32_t, 10>;
Tenths ByTenths(const std::vector<double>& values);
// One line per tenth with its count and a bar.
std::string HistogramText(const Tenths& counts, const std::string& indent);

}  // namespace shoal::ctl
