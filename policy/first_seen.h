// Names numbered in the order first seen: the planner names every instance
// of a view (10^4 and more) by its application, of which there are a few
// hundred at most. Internal to policy/.
//
// Open addressing over a power-of-two table. A name of up to 16 bytes is
// read as two overlapping words, which with its length hold all its bytes:
// hashing is two multiplications and equal keys are equal names, without
// a byte loop or a call to memcmp (a standard unordered_map's prime modulo
// and node chasing, and then FNV over bytes, cost more than the rest of
// the naming). Longer names are hashed by words and compared whole.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace shoal::policy {

class FirstSeen {
 public:
  // The name's number: 0 for the first name seen, then 1, ...
  size_t Number(std::string_view name) {
    if (2 * (names_.size() + 1) > slots_.size()) Grow();
    const Key key = KeyOf(name);
    for (size_t i = key.hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) {
        slots_[i] = static_cast<uint32_t>(names_.size());
        names_.push_back(name);
        keys_.push_back(key);
        return names_.size() - 1;
      }
      if (keys_[s] == key && (name.size() <= 16 || names_[s] == name)) return s;
    }
  }
  // By number.
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  struct Key {
    uint64_t size = 0, a = 0, b = 0, hash = 0;
    bool operator==(const Key&) const = default;
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;

  static uint64_t Load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint64_t Load4(const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  }
  static uint64_t Mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
  }
  static Key KeyOf(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    Key k;
    k.size = n;
    if (n >= 8) {
      k.a = Load8(p);
      k.b = Load8(p + n - 8);
    } else if (n >= 4) {
      k.a = Load4(p);
      k.b = Load4(p + n - 4);
    } else if (n > 0) {
      k.a = static_cast<uint8_t>(p[0]) | static_cast<uint64_t>(static_cast<uint8_t>(p[n / 2])) << 8 |
            static_cast<uint64_t>(static_cast<uint8_t>(p[n - 1])) << 16;
    }
    uint64_t h = Mix(0x9e3779b97f4a7c15ull ^ n, k.a);
    for (size_t i = 8; i + 8 < n; i += 8) h = Mix(h, Load8(p + i));  // the middle of a long name
    h = Mix(h, k.b);
    k.hash = h ^ (h >> 29);  // the low bits index the table: fold the high ones in
    return k;
  }
  void Grow() {
    slots_.assign(std::max<size_t>(64, 2 * slots_.size()), kEmpty);
    for (size_t n = 0; n < names_.size(); ++n) {
      size_t i = keys_[n].hash & (slots_.size() - 1);
      while (slots_[i] != kEmpty) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = static_cast<uint32_t>(n);
    }
  }

  std::vector<uint32_t> slots_;
  std::vector<std::string_view> names_;
  std::vector<Key> keys_;
};

}  // namespace shoal::policy
