// A mergeable summary of many non-negative amounts (millicores, one per
// instance across the pool) that answers what the planner's max-min
// spreading asks of them: how much a common level L fills, Fill(L) = the
// sum of min(x, L), and the level that fills a given amount. It lets a node
// plan its own row from pool-wide figures (policy/pool_figures.h) without
// every other node's status: sketches of two halves of the pool merge into
// the sketch of the whole, in any order, with the same result.
//
// Amounts fall into log-linear bins: below 1, then 8 bins per power of two
// (each at most 1/8 = 12.5% wide; 16 were no closer to the whole plan and
// cost 1.6 times the bins, 4 were 7 times further: bench/RESULTS.md). A bin keeps its count and the exact sum
// of its amounts, and Fill takes a bin's amounts as all at their mean. So
// Fill is exact for any level outside a bin's range and errs by less than
// the bin's count times its width inside it; the level found for an amount
// is off by at most one bin's width where many amounts crowd one bin, and
// by much less where they spread out. Plain value; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shoal::policy {

class WaterSketch {
 public:
  static constexpr int kBinsPerOctave = 8;
  static constexpr int kOctaves = 48;  // amounts from 2^48 share the last bin

  // Adds one amount; negative or non-finite amounts count as zero.
  void Add(double amount);
  void Merge(const WaterSketch& other);

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // The sum over amounts of min(amount, level).
  double Fill(double level) const;
  // The least level whose Fill reaches `amount`: 0 for amount <= 0,
  // infinity when even the sum falls short.
  double LevelFor(double amount) const;
  // Bins in use (what a sketch costs to keep and to send).
  size_t bins() const { return bins_.size(); }

  struct Bin {
    uint16_t index = 0;
    uint32_t count = 0;
    double sum = 0;
    bool operator==(const Bin&) const = default;
  };
  const std::vector<Bin>& raw_bins() const { return bins_; }
  // Rebuilds a sketch from bins (a decoder's output): sorted by index,
  // indices in range, counts above zero, sums finite and not negative, each
  // bin's mean within its range (give or take 0.1, for sums sent rounded).
  static bool FromBins(std::vector<Bin> bins, WaterSketch& out);
  // The bin an amount falls into (0: below 1), and the least amount in a bin.
  static uint16_t BinOf(double amount);
  static double BinLow(uint16_t index);
  static constexpr uint16_t kBinCount = 1 + kOctaves * kBinsPerOctave;

  bool operator==(const WaterSketch&) const = default;

 private:
  std::vector<Bin> bins_;  // by index
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace shoal::policy
