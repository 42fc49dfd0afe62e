// A network address of a daemon: IPv4 address and UDP/TCP port. The engine
// uses this plain value type; only the real transports turn it into a
// socket address. The simulator hands out addresses in 127.0.0.0/8 for its
// virtual nodes (they never reach a real socket).
// Value type; thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace shoal {

struct Endpoint {
  uint32_t ip = 0;  // host byte order
  uint16_t port = 0;

  constexpr auto operator<=>(const Endpoint&) const = default;
  bool valid() const { return ip != 0 && port != 0; }
  std::string ToString() const;  // "a.b.c.d:port"

  // Parses "a.b.c.d:port" (or "a.b.c.d" with default_port when given).
  // Errors name the text and what is wrong with it.
  static Result<Endpoint> Parse(std::string_view text, uint16_t default_port = 0);
};

// An IPv4 network: "a.b.c.d/len" (or "a.b.c.d", a /32).
struct Ipv4Prefix {
  uint32_t ip = 0;  // host byte order, host bits cleared
  uint8_t length = 32;
  bool operator==(const Ipv4Prefix&) const = default;
  // The netmask of a prefix length (0..32), host byte order.
  static constexpr uint32_t Mask(uint8_t length) { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
  bool Contains(uint32_t addr) const { return ((addr ^ ip) & Mask(length)) == 0; }
  std::string ToString() const;
  // Errors name the text and what is wrong with it.
  static Result<Ipv4Prefix> Parse(std::string_view text);
};

}  // namespace shoal

template <>
struct std::hash<shoal::Endpoint> {
  size_t operator()(const shoal::Endpoint& e) const noexcept {
    uint64_t x = (uint64_t{e.ip} << 16 | e.port) * 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(x ^ (x >> 32));
  }
};
