#include "core/endpoint.h"

#include <charconv>

#include <fmt/format.h>

namespace shoal {
namespace {

bool ParseNumber(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 5) return false;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && out <= max;
}

}  // namespace

std::string Endpoint::ToString() const {
  return fmt::format("{}.{}.{}.{}:{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
                     port);
}

Result<Endpoint> Endpoint::Parse(std::string_view text, uint16_t default_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  Endpoint e;
  int parts = 0;
  bool valid = true;
  size_t start = 0;
  while (valid) {
    const size_t dot = host.find('.', start);
    const std::string_view part = host.substr(start, dot == std::string_view::npos ? host.npos : dot - start);
    uint32_t octet = 0;
    valid = ++parts <= 4 && ParseNumber(part, 255, octet);
    e.ip = (e.ip << 8) | octet;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!valid || parts != 4) {
    return MakeError("address '{}': '{}' is not an IPv4 address (a.b.c.d)", text, host);
  }
  uint32_t port = default_port;
  if (!port_text.empty() && !ParseNumber(port_text, 65535, port)) {
    return MakeError("address '{}': port '{}' is not a number in 1..65535", text, port_text);
  }
  if (port == 0) {
    return MakeError("address '{}': a port is required (a.b.c.d:port)", text);
  }
  e.port = static_cast<uint16_t>(port);
  return e;
}

std::string Ipv4Prefix::ToString() const {
  return fmt::format("{}.{}.{}.{}/{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, length);
}

Result<Ipv4Prefix> Ipv4Prefix::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = Endpoint::Parse(text.substr(0, slash), 1);
  uint32_t length = 32;
  if (!address.ok() || (slash != std::string_view::npos && !ParseNumber(text.substr(slash + 1), 32, length))) {
    return MakeError("'{}' is not an IPv4 address or network such as 10.0.0.0/8", text);
  }
  Ipv4Prefix p;
  p.length = static_cast<uint8_t>(length);
  p.ip = address->ip & Mask(p.length);
  return p;
}

}  // namespace shoal
