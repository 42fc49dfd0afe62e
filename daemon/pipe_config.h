// Where this node carries the pool's pipes, from shoald's configuration:
// one [pipe.NAME] table per pipe (the interface its traffic leaves by, the
// destinations that belong to it, those excluded), and the [bandwidth]
// table (the credit round and the enforcer). A pipe of the policy that no
// table places is one this node has no traffic on. Errors name file, line
// and key; every one is collected. Plain value types.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/endpoint.h"
#include "core/result.h"
#include "daemon/toml_keys.h"

namespace shoal::daemon {

struct PipePlacement {
  std::string pipe;
  std::string interface;
  std::vector<Ipv4Prefix> destinations{Ipv4Prefix{0, 0}};  // default: everywhere
  std::vector<Ipv4Prefix> exclude;
  int line = 0;
  // True if traffic to `addr` (host byte order) belongs to the pipe.
  bool Carries(uint32_t addr) const;
};

struct BandwidthConfig {
  std::vector<PipePlacement> pipes;
  int interval_ms = 100;      // the credit round
  int divide_after_ms = 60;   // how long after a round starts it is divided
  std::string enforcer = "auto";  // auto (htb where netlink allows it) | htb | off
};

// The [pipe] table: one sub-table per pipe.
void ReadPipeTables(const std::string& path, const toml::table& pipes, BandwidthConfig& c, ConfigErrors& errors);
// The [bandwidth] table.
void ReadBandwidth(const std::string& path, const toml::table& t, BandwidthConfig& c, ConfigErrors& errors);
// Checks what depends on several keys (one pipe per interface, the
// division inside the round).
void CheckBandwidth(const BandwidthConfig& c, ConfigErrors& errors);

}  // namespace shoal::daemon
