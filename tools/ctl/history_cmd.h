// shoalctl history: the period from the command line, and the daemon's
// history answer rendered as tables (the report: report.h). Pure functions
// of their inputs.
#pragma once

#include <cstdint>
#include <string>

#include "control.pb.h"
#include "core/result.h"

namespace shoal::ctl {

struct TimeRange {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

// "90s", "15m", "6h", "2d", "1w" in milliseconds; errors name the text.
Result<int64_t> ParseDurationText(const std::string& text);
// A time: "now", a duration meaning that long before now ("2h"), or UTC
// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" (a space may replace the T).
Result<int64_t> ParseTimeText(const std::string& text, int64_t now_ms);
// --since wins over --from; --to defaults to now, the period to the last
// hour. Errors name the option.
Result<TimeRange> ParseRange(const std::string& since, const std::string& from, const std::string& to,
                             int64_t now_ms);

// "20%", "20" or "0.2" as a fraction (0 to 10); errors name the option.
Result<double> PercentArg(const std::string& option, const std::string& text);

// "2026-11-22 13:45:00" (UTC).
std::string FormatTime(int64_t ms);

std::string HistoryText(const daemon::control::HistoryAnswer& a, const std::string& what);

}  // namespace shoal::ctl
