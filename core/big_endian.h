// Big-endian (network order) integers in byte buffers, for the wire and file
// formats Shoal writes and reads by hand. Header-only; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

// The low `bytes` bytes of v (1..8), most significant first.
inline void PutBigEndian(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

inline void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint64_t GetBigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// REQUIRES: at + bytes <= s.size().
inline uint64_t GetBigEndian(std::string_view s, size_t at, int bytes) {
  return GetBigEndian(reinterpret_cast<const uint8_t*>(s.data()) + at, bytes);
}

}  // namespace shoal
