// The priority fair-share allocator and the cumulative rounder (DESIGN.md
// section 4): the one piece of arithmetic every capacity in Shoal is divided
// with. Pure functions on plain values; thread-safe.
//
// Allocator. Each consumer states, for priority levels 1 (most important) to
// L, the cumulative amount it needs to satisfy that level, and optionally a
// minimum it receives before any level. Levels are served in order. When a
// level fits in what is left, every consumer is raised to its amount for
// that level. When it does not, what is left is shared max-min fairly: the
// consumers with the lowest allocations are raised together to the next
// target (the next distinct allocation or request), and when the next step
// no longer fits the remainder is divided equally among those still rising.
// A consumer never receives more than it asked for at the current level and
// never loses what an earlier level gave it (a consumer asking less at a
// later level keeps the earlier amount). A consumer with fewer levels than
// the others asks its last amount at the remaining levels. What is left
// after the last level is held in reserve, or by option spread equally.
//
// Minimums are a floor granted before level 1, also to consumers that ask
// less; when the capacity cannot cover them all they are shared max-min.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace shoal {

struct FairShareRequest {
  std::vector<double> levels;  // cumulative amount per level, level 1 first
  double minimum = 0;
};

enum class Leftover { kReserve, kSpread };

// What happened at one level, for explanations.
struct LevelOutcome {
  double asked = 0;    // sum of what the level added over earlier levels
  double granted = 0;  // sum actually added
  bool fit = true;     // the whole level was granted
  // When it did not fit: the common allocation the rising consumers reached.
  double water = 0;
};

struct FairShareResult {
  std::vector<double> amounts;  // per consumer, in input order
  double reserve = 0;           // capacity not given to anyone
  double minimums = 0;          // total granted as minimums
  std::vector<LevelOutcome> levels;
};

// REQUIRES: capacity >= 0, every amount and minimum >= 0 and finite.
FairShareResult AllocateFairShare(double capacity, std::span<const FairShareRequest> consumers,
                                  Leftover leftover = Leftover::kReserve);
// The same into `out`, reusing its storage (for callers that allocate many
// times, such as the planner once per node).
void AllocateFairShare(double capacity, std::span<const FairShareRequest> consumers,
                       Leftover leftover, FairShareResult& out);

// The allocator on consumers laid out by level, for callers that allocate
// many small problems (the planner, once per node): `minimums` has one
// entry per consumer (n of them) and `levels` holds level_count columns of
// n, levels[l * n + i] being consumer i's cumulative amount at level l.
// The same allocation as AllocateFairShare. REQUIRES: levels.size() ==
// level_count * minimums.size().
void AllocateLevels(double capacity, std::span<const double> minimums, std::span<const double> levels,
                    size_t level_count, Leftover leftover, FairShareResult& out);

// Raises every allocations[i] toward targets[i], max-min fairly, spending at
// most `budget`; returns what was spent. Consumers whose target is not above
// their allocation are left alone. If `water` is given it receives the
// common level the rising consumers reached (infinity when all reached their
// targets). The building block of the allocator; the CPU planner also
// spreads entitlements with it. REQUIRES: the spans have the same size.
double RaiseMaxMin(std::span<double> allocations, std::span<const double> targets, double budget,
                   double* water = nullptr);

// Cumulative rounder: integers whose running sums are the running sums of
// `values` rounded half up, so no unit is lost or invented: the integers add
// up to the rounded total, and each differs from its value by less than 1.
// Values within 1e-9 of a half round up (absorbs floating-point noise).
std::vector<int64_t> RoundCumulative(std::span<const double> values);
// The same into `out` (resized to values.size()).
void RoundCumulative(std::span<const double> values, std::vector<int64_t>& out);

}  // namespace shoal
