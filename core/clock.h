// Time for the whole engine. Every component that needs "now" takes a Clock&
// from its owner: SteadyClock in shoald, ManualClock in tests and in the
// simulator, where time only moves when the owner advances it. Nothing in
// gossip/, bwman/, policy/ or store/ reads the real clock itself.
// Thread-safety: SteadyClock is; ManualClock must be used from one thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace shoal {

using Duration = std::chrono::nanoseconds;
// Monotonic time. Its epoch means nothing; only differences do.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

using std::chrono::milliseconds;
using std::chrono::microseconds;
using std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The machine's monotonic clock.
class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock that moves only when told to. Starts at TimePoint{} + 1 s so that
// "never" (TimePoint{}) is always in the past.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  // REQUIRES: d >= 0 (time never goes back).
  void Advance(Duration d);
  // REQUIRES: t >= Now().
  void Set(TimePoint t);

 private:
  TimePoint now_ = TimePoint{} + std::chrono::seconds(1);
};

// Wall-clock time in milliseconds since the Unix epoch, for what is dated
// (history, policy versions). Only the daemon's wiring reads it; engine
// code is handed a function that returns it.
int64_t WallClockMs();

// Wall-clock time as the engine sees it: what is dated (history periods,
// policy versions, schedules, triggers). shoald hands the engine a
// SystemWallClock; the simulator and tests a SimWallClock.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual int64_t NowMs() const = 0;  // milliseconds since the Unix epoch
};

class SystemWallClock final : public WallClock {
 public:
  int64_t NowMs() const override { return WallClockMs(); }
};

// The system's wall clock moved by an offset that can change while it is
// read (shoald's `wall_clock_offset_ms`, for fault tests: a node whose
// clock is stepped, without stepping the kernel's clock of a shared
// machine). Not thread-safe.
class OffsetWallClock final : public WallClock {
 public:
  int64_t NowMs() const override { return WallClockMs() + offset_ms_; }
  void SetOffsetMs(int64_t offset_ms) { offset_ms_ = offset_ms; }
  int64_t offset_ms() const { return offset_ms_; }

 private:
  int64_t offset_ms_ = 0;
};

// Wall time that follows a (manual) steady clock from a fixed date: every
// node of a simulated pool reads the same date at the same virtual instant.
class SimWallClock final : public WallClock {
 public:
  SimWallClock(const Clock& steady, int64_t start_ms) : steady_(steady), origin_(steady.Now()), start_ms_(start_ms) {}
  int64_t NowMs() const override {
    return start_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(steady_.Now() - origin_).count();
  }

 private:
  const Clock& steady_;
  TimePoint origin_;
  int64_t start_ms_;
};

// Duration as fractional milliseconds, for reports.
inline double ToMillis(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace shoal
