// The one source of randomness for the engine: a seeded xoshiro256**
// generator with its own (portable) range functions, so the same seed gives
// the same sequence on every platform and standard library. Components take
// a Random& from their owner; the simulator seeds one per node from its run
// seed, shoald seeds from the OS. Not thread-safe.
#pragma once

#include <cstdint>

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

 private:
  uint64_t s_[4];
};

}  // namespace shoal
