#include "policy/water_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shoal::policy {

uint16_t WaterSketch::BinOf(double amount) {
  if (!(amount >= 1)) return 0;  // also NaN
  int exponent = 0;
  const double mantissa = std::frexp(amount, &exponent);  // amount = mantissa * 2^exponent, mantissa in [0.5, 1)
  const int octave = exponent - 1;
  if (octave >= kOctaves) return kBinCount - 1;
  const int sub = std::min(kBinsPerOctave - 1, static_cast<int>((mantissa * 2 - 1) * kBinsPerOctave));
  return static_cast<uint16_t>(1 + octave * kBinsPerOctave + sub);
}

double WaterSketch::BinLow(uint16_t index) {
  if (index == 0) return 0;
  const int octave = (index - 1) / kBinsPerOctave, sub = (index - 1) % kBinsPerOctave;
  return std::ldexp(1.0 + static_cast<double>(sub) / kBinsPerOctave, octave);
}

void WaterSketch::Add(double amount) {
  if (!(amount > 0) || !std::isfinite(amount)) amount = 0;
  const uint16_t index = BinOf(amount);
  auto it = std::lower_bound(bins_.begin(), bins_.end(), index,
                             [](const Bin& b, uint16_t i) { return b.index < i; });
  if (it == bins_.end() || it->index != index) it = bins_.insert(it, Bin{index, 0, 0});
  ++it->count;
  it->sum += amount;
  ++count_;
  sum_ += amount;
}

void WaterSketch::Merge(const WaterSketch& other) {
  if (other.bins_.empty()) return;
  std::vector<Bin> merged;
  merged.reserve(bins_.size() + other.bins_.size());
  auto a = bins_.cbegin();
  auto b = other.bins_.cbegin();
  while (a != bins_.end() || b != other.bins_.end()) {
    if (b == other.bins_.end() || (a != bins_.end() && a->index < b->index)) {
      merged.push_back(*a++);
    } else if (a == bins_.end() || b->index < a->index) {
      merged.push_back(*b++);
    } else {
      merged.push_back(Bin{a->index, a->count + b->count, a->sum + b->sum});
      ++a;
      ++b;
    }
  }
  bins_ = std::move(merged);
  count_ += other.count_;
  sum_ += other.sum_;
}

double WaterSketch::Fill(double level) const {
  if (!(level > 0)) return 0;
  double filled = 0;
  uint64_t rest = count_;  // amounts not yet counted
  for (const Bin& b : bins_) {
    // Means rise with the bins: from here on every amount fills the level.
    if (b.sum / b.count >= level) return filled + level * static_cast<double>(rest);
    filled += b.sum;
    rest -= b.count;
  }
  return filled;
}

double WaterSketch::LevelFor(double amount) const {
  if (!(amount > 0)) return 0;
  if (amount > sum_) return std::numeric_limits<double>::infinity();
  // Between two bins' means Fill rises with slope `rest` (the amounts not
  // yet below the level): Fill(L) = below + L * rest.
  double below = 0;
  uint64_t rest = count_;
  for (const Bin& b : bins_) {
    const double mean = b.sum / b.count;
    if (below + mean * static_cast<double>(rest) >= amount) return (amount - below) / static_cast<double>(rest);
    below += b.sum;
    rest -= b.count;
  }
  return bins_.empty() ? 0 : bins_.back().sum / bins_.back().count;  // rounding: the sum only just reaches it
}

bool WaterSketch::FromBins(std::vector<Bin> bins, WaterSketch& out) {
  WaterSketch s;
  for (size_t i = 0; i < bins.size(); ++i) {
    const Bin& b = bins[i];
    if (b.index >= kBinCount || b.count == 0 || !std::isfinite(b.sum) || b.sum < 0) return false;
    if (i > 0 && bins[i - 1].index >= b.index) return false;
    // A bin's mean lies in its range (Fill and LevelFor rely on the means rising).
    const double mean = b.sum / b.count;
    const double high = b.index + 1 < kBinCount ? BinLow(static_cast<uint16_t>(b.index + 1)) : HUGE_VAL;
    if (mean < BinLow(b.index) - 0.1 || mean > high + 0.1) return false;
    s.count_ += b.count;
    s.sum_ += b.sum;
  }
  s.bins_ = std::move(bins);
  out = std::move(s);
  return true;
}

}  // namespace shoal::policy
