// Where this node's peers are and where they reach it: seeds given as host
// names or addresses, and the advertised address chosen when the
// configuration leaves it to the daemon.
//
// A seed is "host[:port]", "a.b.c.d[:port]" or "[v6]:port" (port 7946 when
// left out). Shoal's pool protocol carries IPv4 addresses, so a host name
// must have one; an IPv6 literal is refused with that reason.
//
// The advertised address, when neither `advertise` nor a specific `bind`
// address is given, is the source address the kernel's routing table picks
// toward the first seed that resolves (a UDP socket connected to it; no
// packet is sent), or toward the default route when there is no seed, or
// else the first address of an interface that is up and not loopback.
// Blocking (name resolution); called at start and on reload.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/result.h"
#include "daemon/config.h"

namespace shoal::daemon {

struct SeedName {
  std::string host;  // a host name or a dotted IPv4 address
  uint16_t port = 7946;
};

// Syntax only: no name is looked up.
Result<SeedName> ParseSeed(std::string_view text);

// The seed's IPv4 address; an error names the seed and why.
Result<Endpoint> ResolveSeed(std::string_view text);

// The local IPv4 address the kernel would send from toward `toward`.
Result<uint32_t> SourceAddressToward(uint32_t toward);

// Fills config.seed_addresses from config.seeds and, if unset,
// config.advertise (see above). Every seed that fails is named; the
// advertised address uses those that resolved.
Status ResolveAddresses(DaemonConfig& config);

}  // namespace shoal::daemon
