#include "core/fair_share.h"

#include <algorithm>
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

// The water level for consumers rising from their starts to their ends,
// given a budget smaller than their total need. What the water spends at
// level w is F(w) = sum over breakpoints of sign * max(0, w - x), so
// starts and ends need not be paired: a selection over the breakpoints
// (each round partitions the rest around their median and keeps the half
// the level falls in) finds the last breakpoint F stays within the budget
// at, and the level lies on the line after it. O(k) expected. Reorders
// `points`.
double WaterLevel(Breakpoint* points, size_t count, double budget) {
  double slope = 0, offset = 0;  // of the breakpoints known to lie below the level
  size_t lo = 0, hi = count;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    std::nth_element(points + lo, points + mid, points + hi,
                     [](const Breakpoint& a, const Breakpoint& b) { return a.x < b.x; });
    const double pivot = points[mid].x;
    double s = 0, o = 0;
    for (size_t i = lo; i <= mid; ++i) {
      s += points[i].sign;
      o += points[i].sign * points[i].x;
    }
    // Spent if the water stood at the pivot (breakpoints above it add nothing).
    if ((slope + s) * pivot - (offset + o) <= budget) {
      slope += s;
      offset += o;
      lo = mid + 1;
    } else {
      hi = mid;
    }
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
  // rising) and t_i (stops) change how many rise together.
  const size_t n = allocations.size();
  double need = 0;
  size_t rising = 0;
  for (size_t i = 0; i < n; ++i) {
    if (targets[i] > allocations[i]) {
      need += targets[i] - allocations[i];
      ++rising;
    }
  }
  if (rising == 0 || budget <= 0) return 0;
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
  if (rising > kInline) {
    heap_buffer.resize(2 * rising);
    points = heap_buffer.data();
  }
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (targets[i] > allocations[i]) {
      points[k++] = {allocations[i], 1};
      points[k++] = {targets[i], -1};
    }
  }
  const double water = WaterLevel(points, k, budget);

  double spent = 0;
  for (size_t i = 0; i < n; ++i) {
    if (targets[i] > allocations[i] && water > allocations[i]) {
      double to = std::min(targets[i], water);
      spent += to - allocations[i];
      allocations[i] = to;
    }
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
  out.amounts.assign(n, 0.0);
  out.levels.clear();
  double left = std::max(0.0, capacity);
  constexpr size_t kInline = 32;
  double inline_targets[kInline];
  std::vector<double> heap_targets;
  if (n > kInline) heap_targets.resize(n);
  std::span<double> targets(n > kInline ? heap_targets.data() : inline_targets, n);

  for (size_t i = 0; i < n; ++i) targets[i] = consumers[i].minimum;
  out.minimums = RaiseMaxMin(out.amounts, targets, left);
  left = std::max(0.0, left - out.minimums);

  size_t level_count = 0;
  for (const auto& c : consumers) level_count = std::max(level_count, c.levels.size());
  out.levels.reserve(level_count);
  for (size_t level = 0; level < level_count; ++level) {
    LevelOutcome o;
    for (size_t i = 0; i < n; ++i) {
      targets[i] = std::max(out.amounts[i], LevelAmount(consumers[i], level));
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
