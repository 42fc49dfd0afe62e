// A roll-up part as a delta from the part its receiver holds
// (gossip/part_delta.h): exact, smaller when little changed, and refused
// against any other base or when damaged.
#include <string>

#include <catch2/catch.hpp>

#include "core/random.h"
#include "gossip/part_delta.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {

// A part-like text: `n` numbers, each drawn from `seed` and its place.
std::string Numbers(size_t n, uint64_t seed) {
  Random r(seed);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("app-{:03d}:{};", i, r.Next() % 100000);
  return s;
}

}  // namespace

TEST_CASE("a delta rebuilds the part byte for byte and is smaller than it when little changed", "[part_delta]") {
  const std::string base = Numbers(400, 1);
  std::string part = base;
  for (size_t at = 100; at < part.size(); at += 700) part[at] = part[at] == '7' ? '8' : '7';
  auto delta = EncodeDelta(base, part);
  REQUIRE(delta.has_value());
  CHECK(delta->size() * 10 < part.size());
  auto rebuilt = ApplyDelta(base, *delta, 1 << 20);
  REQUIRE(rebuilt.ok());
  CHECK(*rebuilt == part);
  // A part unlike its base: no delta (the part goes whole).
  Random r(5);
  std::string noise(300, '\0');
  for (char& c : noise) c = static_cast<char>(r.Next());
  CHECK_FALSE(EncodeDelta(base, noise).has_value());
}

TEST_CASE("a delta is refused against another base, damaged, short or too large", "[part_delta]") {
  const std::string base = Numbers(300, 3);
  const std::string part = base.substr(0, base.size() - 10) + "0123456789";
  const std::string delta = *EncodeDelta(base, part);
  auto other = ApplyDelta(Numbers(300, 4), delta, 1 << 20);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().message == "a part's delta is from a part not held here");
  auto large = ApplyDelta(base, delta, part.size() - 1);
  REQUIRE_FALSE(large.ok());
  CHECK(large.error().message == fmt::format("a part's delta rebuilds {} bytes (at most {})", part.size(),
                                             part.size() - 1));
  CHECK_FALSE(ApplyDelta(base, delta.substr(0, 8), 1 << 20).ok());
  CHECK_FALSE(ApplyDelta(base, delta.substr(0, delta.size() - 3), 1 << 20).ok());
  // Every single flipped byte after the base's name is caught (the frame's
  // checksum where the decoder does not stop first).
  for (size_t at = 8; at < delta.size(); ++at) {
    std::string bad = delta;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    auto got = ApplyDelta(base, bad, 1 << 20);
    CAPTURE(at);
    CHECK((!got.ok() || *got == part));
  }
}
