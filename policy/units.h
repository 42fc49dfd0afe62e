// The units operators write in policy documents, parsed strictly and
// printed so that they parse back to the same value. Free functions;
// thread-safe.
//   rate      "1Gbit", "250Mbit", "64kbit", "12MB", "1500B", "125000" (bytes/s;
//             bit units are bits per second, decimal prefixes)
//   percent   "40%" or "40", 0..100
//   duration  "500ms", "30s", "5m", "1h"
//   time      "08:00", "23:59", "24:00" (only as the end of a window)
//   days      "mon-fri", "sat,sun", "mon,wed-fri", "daily"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace shoal::policy {

Result<uint64_t> ParseRate(std::string_view text);  // bytes per second
std::string FormatRate(uint64_t bytes_per_second);
Result<double> ParsePercent(std::string_view text);
std::string FormatNumber(double x);  // shortest form, no trailing zeros
Result<int64_t> ParseDurationMs(std::string_view text);
std::string FormatDurationMs(int64_t ms);
// Minutes since midnight; "24:00" only when allow_end_of_day.
Result<int> ParseTimeOfDay(std::string_view text, bool allow_end_of_day);
std::string FormatTimeOfDay(int minutes);
Result<uint8_t> ParseDays(std::string_view text);  // Weekday bits
std::string FormatDays(uint8_t days);

}  // namespace shoal::policy
