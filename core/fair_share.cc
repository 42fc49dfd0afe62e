#include "core/fair_share.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace shoal {
namespace {

// Relative slack for "fits": sums of doubles carry rounding noise, and a
// level that fits up to that noise must count as fitting.
constexpr double kSlack = 1e-9;

bool Fits(double need, double budget) {
  return need <= budget + kSlack * std::max(1.0, std::abs(budget));
}

double LevelAmount(const FairShareRequest& r, size_t level) {
  if (r.levels.empty()) return 0;
  return r.levels[std::min(level, r.levels.size() - 1)];
}

// One breakpoint of the water curve: a consumer starting to rise at x
// (sign +1) or stopping at x (sign -1).
struct Breakpoint {
  double x;
  double sign;
};

// Pivots for the water level's rounds over points[0, count), count > 0.
double MedianOfThree(const Breakpoint* points, size_t count) {
  const double a = points[0].x, b = points[count / 2].x, c = points[count - 1].x;
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}
double ExactMedian(Breakpoint* points, size_t count) {
  std::nth_element(points, points + count / 2, points + count,
                   [](const Breakpoint& a, const Breakpoint& b) { return a.x < b.x; });
  return points[count / 2].x;
}

// The water level for consumers rising from their starts to their ends,
// given a budget smaller than their total need. What the water spends at
// level w is F(w) = sum over breakpoints of sign * max(0, w - x), so
// starts and ends need not be paired, and F never falls as w rises. Each
// round sums the breakpoints left at or below a pivot: if F at the pivot
// is within the budget the level lies at or above it (those sums are
// kept and the breakpoints above the pivot go on), else below it (the
// breakpoints below it go on). Both passes are free of branches on the
// data, which is random to the branch predictor. A pivot from the median
// of three, or the exact median once rounds run long (inputs crafted
// against the median of three), keeps the work linear on average.
// Reorders `points`.
double WaterLevel(Breakpoint* points, size_t count, double budget) {
  double slope = 0, offset = 0;  // of the breakpoints known to lie below the level
  size_t left = count;              // points[0, left) are still undecided
  const int patient_rounds = 2 * std::bit_width(count) + 8;
  for (int round = 0; left > 0; ++round) {
    const double pivot = round < patient_rounds ? MedianOfThree(points, left) : ExactMedian(points, left);
    double s = 0, o = 0;
    for (size_t i = 0; i < left; ++i) {
      const double below = points[i].x <= pivot ? points[i].sign : 0.0;
      s += below;
      o += below * points[i].x;
    }
    // Spent if the water stood at the pivot (breakpoints above it add
    // nothing). The difference cancels where the pivot is near the starts
    // (at the lowest start F is exactly 0): rounding must not put the
    // level below every start, so F counts as within the budget up to the
    // rounding of its terms.
    const double up = (slope + s) * pivot, down = offset + o;
    const bool at_or_above = up - down <= budget + kSlack * std::max(1.0, budget) + 1e-12 * std::abs(down);
    if (at_or_above) {
      slope += s;
      offset += o;
    }
    // Keep the side the level lies in; the pivot itself goes either way.
    size_t kept = 0;
    for (size_t i = 0; i < left; ++i) {
      const Breakpoint b = points[i];
      points[kept] = b;
      kept += at_or_above ? b.x > pivot : b.x < pivot;
    }
    left = kept;
  }
  if (slope < 0.5) return std::numeric_limits<double>::infinity();  // every consumer stopped: all covered
  return (budget + offset) / slope;
}

}  // namespace

double RaiseMaxMin(std::span<double> allocations, std::span<const double> targets, double budget,
                   double* water_out) {
  constexpr double kAll = std::numeric_limits<double>::infinity();
  if (water_out != nullptr) *water_out = kAll;
  // The water level w rises from the lowest allocation; consumer i follows it
  // between its allocation a_i and its target t_i. Events at a_i (starts
  // rising) and t_i (stops) change how many rise together. The loops do
  // not branch on which consumers rise: that is random to the predictor.
  if (budget <= 0) return 0;
  const size_t n = allocations.size();
  double need = 0;
  for (size_t i = 0; i < n; ++i) need += std::max(0.0, targets[i] - allocations[i]);
  if (need <= 0) return 0;
  if (Fits(need, budget)) {
    for (size_t i = 0; i < n; ++i) allocations[i] = std::max(allocations[i], targets[i]);
    return need;
  }
  // Where consumers start rising (their allocations) and stop (their
  // targets); small problems (a node's instances) stay on the stack.
  constexpr size_t kInline = 32;
  Breakpoint inline_buffer[2 * kInline];
  std::vector<Breakpoint> heap_buffer;
  Breakpoint* points = inline_buffer;
  if (n > kInline) {
    heap_buffer.resize(2 * n);
    points = heap_buffer.data();
  }
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    points[k] = {allocations[i], 1};
    points[k + 1] = {targets[i], -1};
    k += targets[i] > allocations[i] ? 2 : 0;
  }
  const double water = WaterLevel(points, k, budget);

  // Each rising consumer follows the water to its target; the others are
  // already at or above both.
  double spent = 0;
  for (size_t i = 0; i < n; ++i) {
    const double to = std::max(allocations[i], std::min(targets[i], water));
    spent += to - allocations[i];
    allocations[i] = to;
  }
  if (water_out != nullptr) *water_out = water;
  return spent;
}

FairShareResult AllocateFairShare(double capacity, std::span<const FairShareRequest> consumers,
                                  Leftover leftover) {
  FairShareResult out;
  AllocateFairShare(capacity, consumers, leftover, out);
  return out;
}

void AllocateFairShare(double capacity, std::span<const FairShareRequest> consumers,
                       Leftover leftover, FairShareResult& out) {
  const size_t n = consumers.size();
  size_t level_count = 0;
  for (const auto& c : consumers) level_count = std::max(level_count, c.levels.size());
  std::vector<double> minimums(n), levels(level_count * n);
  for (size_t i = 0; i < n; ++i) {
    minimums[i] = consumers[i].minimum;
    for (size_t l = 0; l < level_count; ++l) levels[l * n + i] = LevelAmount(consumers[i], l);
  }
  AllocateLevels(capacity, minimums, levels, level_count, leftover, out);
}

void AllocateLevels(double capacity, std::span<const double> minimums, std::span<const double> levels,
                    size_t level_count, Leftover leftover, FairShareResult& out) {
  const size_t n = minimums.size();
  assert(levels.size() == level_count * n);
  out.amounts.assign(n, 0.0);
  out.levels.clear();
  double left = std::max(0.0, capacity);
  constexpr size_t kInline = 32;
  double inline_targets[kInline];
  std::vector<double> heap_targets;
  if (n > kInline) heap_targets.resize(n);
  std::span<double> targets(n > kInline ? heap_targets.data() : inline_targets, n);

  out.minimums = RaiseMaxMin(out.amounts, minimums, left);
  left = std::max(0.0, left - out.minimums);

  out.levels.reserve(level_count);
  for (size_t level = 0; level < level_count; ++level) {
    const double* asks = levels.data() + level * n;
    LevelOutcome o;
    for (size_t i = 0; i < n; ++i) {
      targets[i] = std::max(out.amounts[i], asks[i]);
      o.asked += targets[i] - out.amounts[i];
    }
    o.fit = Fits(o.asked, left);
    if (o.fit) {
      for (size_t i = 0; i < n; ++i) out.amounts[i] = targets[i];
      o.granted = o.asked;
    } else {
      o.granted = RaiseMaxMin(out.amounts, targets, left, &o.water);
      if (!std::isfinite(o.water)) o.water = 0;  // nothing was left to share
    }
    left = std::max(0.0, left - o.granted);
    out.levels.push_back(o);
  }
  if (leftover == Leftover::kSpread && n > 0) {
    for (double& a : out.amounts) a += left / static_cast<double>(n);
    left = 0;
  }
  out.reserve = left;
}

std::vector<int64_t> RoundCumulative(std::span<const double> values) {
  std::vector<int64_t> out;
  RoundCumulative(values, out);
  return out;
}

void RoundCumulative(std::span<const double> values, std::vector<int64_t>& out) {
  out.resize(values.size());
  double sum = 0;
  int64_t previous = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += values[i];
    auto rounded = static_cast<int64_t>(std::floor(sum + 0.5 + 1e-9));
    out[i] = rounded - previous;
    previous = rounded;
  }
}

}  // namespace shoal
