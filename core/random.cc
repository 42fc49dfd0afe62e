#include "core/random.h"

#include <cassert>
#include <random>

namespace shoal {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Random::Random(uint64_t seed) {
  for (auto& s : s_) s = SplitMix64(seed);
}

uint64_t Random::OsSeed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

uint64_t Random::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Random::Below(uint64_t n) {
  assert(n > 0);
  // Lemire's nearly divisionless method: unbiased and portable.
  __uint128_t m = static_cast<__uint128_t>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<__uint128_t>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Random::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Random::Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return Unit() < p;
}

Duration Random::Between(Duration lo, Duration hi) {
  assert(lo <= hi);
  const uint64_t span = static_cast<uint64_t>((hi - lo).count());
  if (span == UINT64_MAX) return lo + Duration(static_cast<int64_t>(Next() >> 1));
  return lo + Duration(static_cast<int64_t>(Below(span + 1)));
}

}  // namespace shoal
