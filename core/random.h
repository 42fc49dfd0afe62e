// The one source of randomness for the engine: a seeded xoshiro256**
// generator with its own (portable) range functions, so the same seed gives
// the same sequence on every platform and standard library. Components take
// a Random& from their owner; the simulator seeds one per node from its run
// seed, shoald seeds from the OS. Not thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace shoal {

class Random {
 public:
  explicit Random(uint64_t seed);

  // A seed from the operating system's entropy source, for real daemons.
  static uint64_t OsSeed();

  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [0, 1).
  double Unit();
  // True with probability p (p <= 0: never, p >= 1: always).
  bool Chance(double p);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  Duration Between(Duration lo, Duration hi);

  // Fisher-Yates shuffle of a whole vector.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[Below(i)]);
    }
  }

  // Moves k elements chosen uniformly at random to the front of v (partial
  // Fisher-Yates); the rest keep no particular order. k is clamped to size.
  template <typename T>
  void ChooseFront(std::vector<T>& v, size_t k) {
    if (k > v.size()) k = v.size();
    for (size_t i = 0; i < k; ++i) {
      std::swap(v[i], v[i + Below(v.size() - i)]);
    }
  }

 private:
  uint64_t s_[4];
};

}  // namespace shoal
