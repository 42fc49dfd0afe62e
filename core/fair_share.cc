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

}  // namespace

double RaiseMaxMin(std::vector<double>& allocations, std::span<const double> targets,
                   std::span<const size_t> rising, double budget) {
  // The water level w rises from the lowest allocation; consumer i follows it
  // between its allocation a_i and its target t_i. Events at a_i (starts
  // rising) and t_i (stops) change how many rise together.
  struct Event {
    double at;
    int delta;
  };
  std::vector<Event> events;
  events.reserve(rising.size() * 2);
  double need = 0;
  for (size_t i : rising) {
    if (targets[i] > allocations[i]) {
      events.push_back({allocations[i], +1});
      events.push_back({targets[i], -1});
      need += targets[i] - allocations[i];
    }
  }
  if (events.empty() || budget <= 0) return 0;
  if (Fits(need, budget)) {
    for (size_t i : rising) allocations[i] = std::max(allocations[i], targets[i]);
    return need;
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at < b.at || (a.at == b.at && a.delta < b.delta);
  });
  double water = events.front().at;
  double left = budget;
  int count = 0;
  for (const Event& e : events) {
    if (e.at > water && count > 0) {
      double step = (e.at - water) * count;
      if (step >= left) {
        water += left / count;  // the last step: divide the rest equally
        left = 0;
        break;
      }
      left -= step;
    }
    water = std::max(water, e.at);
    count += e.delta;
  }
  double spent = 0;
  for (size_t i : rising) {
    if (targets[i] > allocations[i] && water > allocations[i]) {
      double to = std::min(targets[i], water);
      spent += to - allocations[i];
      allocations[i] = to;
    }
  }
  return spent;
}

FairShareResult AllocateFairShare(double capacity, std::span<const FairShareRequest> consumers,
                                  Leftover leftover) {
  FairShareResult out;
  const size_t n = consumers.size();
  out.amounts.assign(n, 0.0);
  double left = std::max(0.0, capacity);
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  std::vector<double> targets(n);

  for (size_t i = 0; i < n; ++i) targets[i] = consumers[i].minimum;
  out.minimums = RaiseMaxMin(out.amounts, targets, all, left);
  left = std::max(0.0, left - out.minimums);

  size_t level_count = 0;
  for (const auto& c : consumers) level_count = std::max(level_count, c.levels.size());
  for (size_t level = 0; level < level_count; ++level) {
    LevelOutcome o;
    for (size_t i = 0; i < n; ++i) {
      targets[i] = std::max(out.amounts[i], LevelAmount(consumers[i], level));
      o.asked += targets[i] - out.amounts[i];
    }
    o.fit = Fits(o.asked, left);
    if (!o.fit) {
      // The water level the rising consumers reach: the highest allocation
      // among those still below their target afterwards.
      std::vector<double> before = out.amounts;
      o.granted = RaiseMaxMin(out.amounts, targets, all, left);
      for (size_t i = 0; i < n; ++i) {
        if (out.amounts[i] < targets[i] && out.amounts[i] > before[i]) {
          o.water = std::max(o.water, out.amounts[i]);
        }
      }
    } else {
      for (size_t i = 0; i < n; ++i) out.amounts[i] = targets[i];
      o.granted = o.asked;
    }
    left = std::max(0.0, left - o.granted);
    out.levels.push_back(o);
  }
  if (leftover == Leftover::kSpread && n > 0) {
    for (double& a : out.amounts) a += left / static_cast<double>(n);
    left = 0;
  }
  out.reserve = left;
  return out;
}

std::vector<int64_t> RoundCumulative(std::span<const double> values) {
  std::vector<int64_t> out;
  out.reserve(values.size());
  double sum = 0;
  int64_t previous = 0;
  for (double v : values) {
    sum += v;
    auto rounded = static_cast<int64_t>(std::floor(sum + 0.5 + 1e-9));
    out.push_back(rounded - previous);
    previous = rounded;
  }
  return out;
}

}  // namespace shoal
