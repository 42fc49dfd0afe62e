// Local time in an IANA time zone, from the system's compiled zone files
// (TZif, /usr/share/zoneinfo), without touching the process's TZ or the C
// library's global state: schedules are evaluated by every node from the
// same instant and zone, and must agree. Transitions listed in the file are
// used as they are; instants after the last one follow the file's POSIX TZ
// rule (e.g. "GMT0BST,M3.5.0/1,M10.5.0"). Value type; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace shoal::policy {

struct LocalTime {
  int weekday = 0;        // 0 Monday .. 6 Sunday
  int minute_of_day = 0;  // 0..1439
  int64_t utc_offset_s = 0;
};

class TimeZone {
 public:
  static TimeZone Utc();
  // Reads `dir`/`name`. Errors name the zone and what is wrong.
  static Result<TimeZone> Load(std::string_view name, const std::string& dir = "/usr/share/zoneinfo");
  // From the bytes of a TZif file (for tests and fuzzing).
  static Result<TimeZone> Parse(std::string_view name, std::string_view tzif);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in force at `utc_seconds` (Unix time).
  int64_t OffsetAt(int64_t utc_seconds) const;
  LocalTime At(int64_t utc_seconds) const;

 private:
  struct Rule {  // the POSIX TZ footer
    bool valid = false;
    int64_t std_offset = 0;  // seconds east
    int64_t dst_offset = 0;
    bool has_dst = false;
    // Mm.w.d/time for the start and the end of summer time.
    int start_month = 0, start_week = 0, start_day = 0;
    int64_t start_time = 7200;
    int end_month = 0, end_week = 0, end_day = 0;
    int64_t end_time = 7200;
  };
  static bool ParseRule(std::string_view text, Rule& rule);
  int64_t RuleOffset(int64_t utc_seconds) const;

  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;  // ascending, Unix seconds
  std::vector<int64_t> offsets_;      // in force from transitions_[i]
  int64_t initial_offset_ = 0;        // before the first transition
  Rule rule_;
};

}  // namespace shoal::policy
