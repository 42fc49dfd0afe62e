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

// The water level for consumers starting at starts[i] and stopping at
// ends[i], given a budget smaller than their total need: walks the sorted
// events. O(k log k). Sorts both arrays.
double WaterFromEvents(double* starts, double* ends, size_t k, double budget) {
  std::sort(starts, starts + k);
  std::sort(ends, ends + k);
  double water = starts[0];
  double left = budget;
  size_t count = 0;  // consumers rising together at the current level
  size_t si = 0, ei = 0;
  while (ei < k) {
    // The next event: a consumer stopping (first on ties) or starting.
    bool stop = si == k || ends[ei] <= starts[si];
    double at = stop ? ends[ei] : starts[si];
    if (at > water && count > 0) {
      double step = (at - water) * static_cast<double>(count);
      if (step >= left) {
        water += left / static_cast<double>(count);  // the last step: divide the rest equally
        left = 0;
        break;
      }
      left -= step;
    }
    water = std::max(water, at);
    if (stop) {
      --count;
      ++ei;
    } else {
      ++count;
      ++si;
    }
  }
  return water;
}

// The same when every consumer starts at `start` (the common case: nothing
// given yet). Selection instead of sorting: each round partitions the
// remaining targets around their median and keeps the half the water level
// falls in. O(k) expected. Reorders `ends`.
double WaterFromEqualStarts(double start, double* ends, size_t k, double budget) {
  double below = 0;   // need of the consumers known to stop below the water
  size_t above = 0;   // consumers known to still rise at the water
  size_t lo = 0, hi = k;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    std::nth_element(ends + lo, ends + mid, ends + hi);
    double pivot = ends[mid];
    double low_need = 0;
    for (size_t i = lo; i <= mid; ++i) low_need += ends[i] - start;
    // Spent if the water stood at the pivot.
    double at_pivot = below + low_need - (pivot - start) +
                      static_cast<double>(hi - mid + above) * (pivot - start);
    if (at_pivot <= budget) {
      below += low_need;  // [lo, mid] stop at or below the water
      lo = mid + 1;
    } else {
      above += hi - mid;  // [mid, hi) are still rising
      hi = mid;
    }
  }
  if (above == 0) return std::numeric_limits<double>::infinity();  // budget covered all
  return start + (budget - below) / static_cast<double>(above);
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
  // targets), each sorted; small problems (a node's instances) stay on the
  // stack, and allocations that are all equal need no sort.
  constexpr size_t kInline = 32;
  double inline_buffer[2 * kInline];
  std::vector<double> heap_buffer;
  double* starts = inline_buffer;
  if (rising > kInline) {
    heap_buffer.resize(2 * rising);
    starts = heap_buffer.data();
  }
  double* ends = starts + rising;
  size_t k = 0;
  bool equal_starts = true;
  for (size_t i = 0; i < n; ++i) {
    if (targets[i] > allocations[i]) {
      starts[k] = allocations[i];
      ends[k] = targets[i];
      equal_starts = equal_starts && starts[k] == starts[0];
      ++k;
    }
  }
  double water = equal_starts ? WaterFromEqualStarts(starts[0], ends, k, budget)
                              : WaterFromEvents(starts, ends, k, budget);

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
