#include "policy/timezone.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/big_endian.h"

namespace shoal::policy {
namespace {

// A signed big-endian integer of 4 or 8 bytes.
int64_t Big(std::string_view s, size_t at, int bytes) {
  uint64_t v = GetBigEndian(s, at, bytes);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t YearOf(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return yoe + era * 400 + (m <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Day of month of "week w (5: last) of month m, weekday d (0: Sunday)".
int RuleDay(int64_t year, int month, int week, int day) {
  const int64_t first = DaysFromCivil(year, month, 1);
  const int first_weekday = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 0 Sunday
  int mday = 1 + (day - first_weekday + 7) % 7 + (week - 1) * 7;
  while (mday > DaysInMonth(year, month)) mday -= 7;
  return mday;
}

// Parses "[+-]hh[:mm[:ss]]" at `s` (moving it), as seconds.
bool ParseClock(std::string_view& s, int64_t& seconds) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int64_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (s.empty() || s[0] < '0' || s[0] > '9') {
      if (i == 0) return false;
      break;
    }
    int64_t v = 0;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
      if (v > 1000) return false;
    }
    parts[i] = v;
    if (i < 2 && !s.empty() && s[0] == ':') {
      s.remove_prefix(1);
    } else {
      break;
    }
  }
  seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool SkipName(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))) ++n;
  if (n < 3) return false;
  s.remove_prefix(n);
  return true;
}

bool ParseDate(std::string_view& s, int& month, int& week, int& day, int64_t& time) {
  if (s.empty() || s[0] != 'M') return false;  // Jn and n forms are not used by the zone files we read
  s.remove_prefix(1);
  int v[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      v[i] = v[i] * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    if (i < 2) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
  }
  month = v[0];
  week = v[1];
  day = v[2];
  if (month < 1 || month > 12 || week < 1 || week > 5 || day > 6) return false;
  time = 7200;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!ParseClock(s, time)) return false;
  }
  return true;
}

}  // namespace

TimeZone TimeZone::Utc() { return TimeZone(); }

bool TimeZone::ParseRule(std::string_view s, Rule& r) {
  if (!SkipName(s)) return false;
  int64_t west = 0;
  if (!ParseClock(s, west)) return false;
  r.std_offset = -west;
  if (s.empty()) {
    r.valid = true;
    return true;
  }
  if (!SkipName(s)) return false;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!ParseClock(s, west)) return false;
    r.dst_offset = -west;
  }
  if (s.empty() || s[0] != ',') return false;
  s.remove_prefix(1);
  if (!ParseDate(s, r.start_month, r.start_week, r.start_day, r.start_time)) return false;
  if (s.empty() || s[0] != ',') return false;
  s.remove_prefix(1);
  if (!ParseDate(s, r.end_month, r.end_week, r.end_day, r.end_time)) return false;
  r.valid = s.empty();
  return r.valid;
}

int64_t TimeZone::RuleOffset(int64_t t) const {
  if (!rule_.has_dst) return rule_.std_offset;
  const int64_t year = YearOf(FloorDiv(t + rule_.std_offset, 86400));
  // Summer time starts at start_time of standard local time and ends at
  // end_time of summer local time.
  auto utc_of = [&](int month, int week, int day, int64_t time, int64_t offset) {
    return DaysFromCivil(year, month, RuleDay(year, month, week, day)) * 86400 + time - offset;
  };
  const int64_t start = utc_of(rule_.start_month, rule_.start_week, rule_.start_day, rule_.start_time, rule_.std_offset);
  const int64_t end = utc_of(rule_.end_month, rule_.end_week, rule_.end_day, rule_.end_time, rule_.dst_offset);
  const bool summer = start < end ? (t >= start && t < end) : (t >= start || t < end);  // southern hemisphere
  return summer ? rule_.dst_offset : rule_.std_offset;
}

Result<TimeZone> TimeZone::Parse(std::string_view name, std::string_view f) {
  auto bad = [&](const char* what) { return MakeError("time zone {}: {}", name, what); };
  if (f.size() < 44 || f.substr(0, 4) != "TZif") return bad("not a compiled zone file (TZif)");
  const char version = f[4];
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = Big(f, at + 20 + static_cast<size_t>(i) * 4, 4);
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  for (int64_t x : c) {
    if (x < 0 || x > 100000) return bad("implausible counts");
  }
  size_t at = 44;
  int time_bytes = 4;
  if (version >= '2') {
    // Skip the 32-bit block; the 64-bit one follows with its own header.
    size_t v1 = static_cast<size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    at += v1;
    if (f.size() < at + 44 || f.substr(at, 4) != "TZif") return bad("truncated");
    counts(at, c);
    for (int64_t x : c) {
      if (x < 0 || x > 100000) return bad("implausible counts");
    }
    at += 44;
    time_bytes = 8;
  }
  const size_t need = static_cast<size_t>(c[3] * (time_bytes + 1) + c[4] * 6 + c[5] + c[2] * (time_bytes + 4) + c[1] + c[0]);
  if (f.size() < at + need) return bad("truncated");
  if (c[4] == 0) return bad("no local time types");
  TimeZone z;
  z.name_ = std::string(name);
  const size_t times_at = at, idx_at = at + static_cast<size_t>(c[3] * time_bytes);
  const size_t types_at = idx_at + static_cast<size_t>(c[3]);
  std::vector<int64_t> type_offsets(static_cast<size_t>(c[4]));
  std::vector<bool> type_dst(static_cast<size_t>(c[4]));
  for (int64_t i = 0; i < c[4]; ++i) {
    type_offsets[static_cast<size_t>(i)] = Big(f, types_at + static_cast<size_t>(i) * 6, 4);
    type_dst[static_cast<size_t>(i)] = f[types_at + static_cast<size_t>(i) * 6 + 4] != 0;
  }
  z.initial_offset_ = type_offsets[0];
  for (size_t i = 0; i < type_offsets.size(); ++i) {
    if (!type_dst[i]) {
      z.initial_offset_ = type_offsets[i];
      break;
    }
  }
  for (int64_t i = 0; i < c[3]; ++i) {
    int64_t t = Big(f, times_at + static_cast<size_t>(i) * static_cast<size_t>(time_bytes), time_bytes);
    auto type = static_cast<uint8_t>(f[idx_at + static_cast<size_t>(i)]);
    if (type >= type_offsets.size()) return bad("transition to an unknown type");
    if (!z.transitions_.empty() && t <= z.transitions_.back()) return bad("transitions out of order");
    z.transitions_.push_back(t);
    z.offsets_.push_back(type_offsets[type]);
  }
  if (version >= '2') {
    size_t footer = at + need;
    if (footer < f.size() && f[footer] == '\n') {
      size_t end = f.find('\n', footer + 1);
      if (end != std::string_view::npos && end > footer + 1) {
        if (!ParseRule(f.substr(footer + 1, end - footer - 1), z.rule_)) z.rule_ = Rule{};
      }
    }
  }
  return z;
}

Result<TimeZone> TimeZone::Load(std::string_view name, const std::string& dir) {
  if (name == "UTC") return Utc();
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return MakeError("\"{}\" is not a time zone name", name);
  }
  std::ifstream in(dir + "/" + std::string(name), std::ios::binary);
  if (!in) return MakeError("time zone {}: no such zone in {}", name, dir);
  std::stringstream s;
  s << in.rdbuf();
  return Parse(name, s.str());
}

int64_t TimeZone::OffsetAt(int64_t t) const {
  if (transitions_.empty()) return rule_.valid ? RuleOffset(t) : initial_offset_;
  if (t < transitions_.front()) return initial_offset_;
  if (t >= transitions_.back() && rule_.valid) return RuleOffset(t);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

LocalTime TimeZone::At(int64_t t) const {
  LocalTime lt;
  lt.utc_offset_s = OffsetAt(t);
  const int64_t local = t + lt.utc_offset_s;
  const int64_t days = FloorDiv(local, 86400);
  lt.minute_of_day = static_cast<int>((local - days * 86400) / 60);
  lt.weekday = static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday (3 from Monday)
  return lt;
}

}  // namespace shoal::policy
