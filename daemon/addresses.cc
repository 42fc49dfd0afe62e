#include "daemon/addresses.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>

#include "daemon/toml_keys.h"

namespace shoal::daemon {
namespace {

constexpr uint32_t kTestNet = 0xC0000201;  // 192.0.2.1 (TEST-NET-1): only the default route leads there

Result<uint16_t> ParsePort(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
    return MakeError("port '{}' is not a number in 1..65535", text);
  }
  return static_cast<uint16_t>(port);
}

bool HostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (unsigned char c : h) {
    if (!std::isalnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return h.front() != '-' && h.front() != '.';
}

// The first address of an interface that is up and not loopback.
Result<uint32_t> FirstInterfaceAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return MakeError("cannot list the interfaces: {}", std::strerror(errno));
  uint32_t found = 0;
  for (ifaddrs* i = list; i != nullptr && found == 0; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    found = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
  }
  freeifaddrs(list);
  if (found == 0) return MakeError("no interface that is up has an IPv4 address");
  return found;
}

Result<uint32_t> ChooseAdvertiseAddress(const std::vector<Endpoint>& seeds) {
  for (const auto& s : seeds) {
    if (auto a = SourceAddressToward(s.ip); a.ok()) return a;
  }
  if (auto a = SourceAddressToward(kTestNet); a.ok()) return a;
  return FirstInterfaceAddress();
}

}  // namespace

Result<SeedName> ParseSeed(std::string_view text) {
  if (text.starts_with('[') || std::count(text.begin(), text.end(), ':') > 1) {
    return MakeError("'{}' is an IPv6 address: Shoal's pool protocol carries IPv4 addresses; give the seed's IPv4 "
                     "address or a host name that has one", text);
  }
  SeedName seed;
  std::string_view host = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    auto port = ParsePort(text.substr(colon + 1));
    if (!port.ok()) return MakeError("'{}': {}", text, port.error().message);
    seed.port = *port;
  }
  if (!HostName(host)) return MakeError("'{}' is not a host name or an IPv4 address", text);
  seed.host = std::string(host);
  return seed;
}

Result<Endpoint> ResolveSeed(std::string_view text) {
  auto seed = ParseSeed(text);
  if (!seed.ok()) return seed.error();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(seed->host.c_str(), nullptr, &hints, &found); rc != 0) {
    return MakeError("seed '{}': {}{}", text, gai_strerror(rc),
                     rc == EAI_NONAME || rc == EAI_NODATA ? " (or it has no IPv4 address)" : "");
  }
  const uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(found);
  return Endpoint{ip, seed->port};
}

Result<uint32_t> SourceAddressToward(uint32_t toward) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError("socket: {}", std::strerror(errno));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(toward);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0;
  const int err = errno;
  close(fd);
  if (!ok) return MakeError("no route to {}: {}", Endpoint{toward, 0}.ToString(), std::strerror(err));
  return ntohl(local.sin_addr.s_addr);
}

Status ResolveAddresses(DaemonConfig& config) {
  ConfigErrors errors;
  config.seed_addresses.clear();
  for (const auto& text : config.seeds) {
    auto e = ResolveSeed(text);
    if (e.ok()) config.seed_addresses.push_back(*e);
    else errors.Add(Status(e.error()));
  }
  if (!config.advertise.valid()) {
    if (config.bind.ip != 0) {
      config.advertise = config.bind;
    } else if (auto a = ChooseAdvertiseAddress(config.seed_addresses); a.ok()) {
      config.advertise = Endpoint{*a, config.bind.port};
    } else {
      errors.Add(fmt::format("advertise is not set and no address could be chosen ({}): set advertise to the "
                             "address peers reach this node at", a.error().message));
    }
  }
  return errors.ToStatus();
}

}  // namespace shoal::daemon
