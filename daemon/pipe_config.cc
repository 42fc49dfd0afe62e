#include "daemon/pipe_config.h"

#include <algorithm>
#include <cctype>

#include "daemon/toml_keys.h"

namespace shoal::daemon {
namespace {

Status ReadPrefixes(const std::string& path, const toml::node& n, const std::string& key,
                    std::vector<Ipv4Prefix>& out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return MakeError("{} must be an array of networks such as \"10.0.0.0/8\"", Where(path, n, key));
  std::vector<Ipv4Prefix> read;
  for (auto&& item : *a) {
    auto text = item.value<std::string>();
    if (!item.is_string() || !text) return MakeError("{} must hold strings", Where(path, item, key));
    auto p = Ipv4Prefix::Parse(*text);
    if (!p.ok()) return MakeError("{}: {}", Where(path, item, key), p.error().message);
    read.push_back(*p);
  }
  out = std::move(read);
  return Status::Ok();
}

// A Linux interface name: 1 to 15 bytes, no '/', no white space.
bool InterfaceName(const std::string& s) {
  return !s.empty() && s.size() <= 15 && s != "." && s != ".." &&
         std::none_of(s.begin(), s.end(), [](unsigned char c) { return c == '/' || c == ':' || std::isspace(c); });
}

void ReadPlacementKey(const std::string& path, const std::string& key, std::string_view k, const toml::node& n,
                      PipePlacement& p, ConfigErrors& errors) {
  if (k == "interface") {
    auto v = n.value<std::string>();
    if (n.is_string() && v && InterfaceName(*v)) {
      p.interface = *v;
    } else {
      errors.Add(fmt::format("{} must be an interface name (1 to 15 characters, no '/', ':' or spaces)",
                             Where(path, n, key)));
    }
  } else if (k == "destinations") {
    errors.Add(ReadPrefixes(path, n, key, p.destinations));
  } else if (k == "exclude") {
    errors.Add(ReadPrefixes(path, n, key, p.exclude));
  } else {
    errors.Add(fmt::format("{} is not a known key (interface, destinations, exclude)", Where(path, n, key)));
  }
}

void ReadPlacement(const std::string& path, const std::string& name, const toml::table& t, PipePlacement& p,
                   ConfigErrors& errors) {
  p.pipe = name;
  p.line = static_cast<int>(t.source().begin.line);
  for (auto&& [k, n] : t) ReadPlacementKey(path, "pipe." + name + "." + std::string(k.str()), k.str(), n, p, errors);
  if (p.interface.empty()) errors.Add(fmt::format("{}:{}: [pipe.{}] needs an interface", path, p.line, name));
  if (p.destinations.empty()) errors.Add(fmt::format("{}:{}: [pipe.{}] has no destinations", path, p.line, name));
}

}  // namespace

bool PipePlacement::Carries(uint32_t addr) const {
  auto in = [addr](const Ipv4Prefix& p) { return p.Contains(addr); };
  return std::any_of(destinations.begin(), destinations.end(), in) && std::none_of(exclude.begin(), exclude.end(), in);
}

void ReadPipeTables(const std::string& path, const toml::table& pipes, BandwidthConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : pipes) {
    const std::string name(k.str());
    const toml::table* t = n.as_table();
    if (t == nullptr) {
      errors.Add(fmt::format("{} must be a table: [pipe.{}]", Where(path, n, "pipe." + name), name));
      continue;
    }
    PipePlacement p;
    ReadPlacement(path, name, *t, p, errors);
    std::erase_if(c.pipes, [&](const PipePlacement& q) { return q.pipe == name; });
    c.pipes.push_back(std::move(p));
  }
}

void ReadBandwidth(const std::string& path, const toml::table& t, BandwidthConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "bandwidth." + std::string(k.str());
    Status s;
    if (k == "enforcer") {
      auto e = n.value<std::string>();
      if (n.is_string() && e && (*e == "auto" || *e == "htb" || *e == "off")) c.enforcer = *e;
      else s = MakeError("{} must be one of: auto, htb, off", Where(path, n, key));
    } else if (k == "interval_ms") {
      s = ReadInt(path, n, key, 10, 10'000, c.interval_ms);
    } else if (k == "divide_after_ms") {
      s = ReadInt(path, n, key, 0, 10'000, c.divide_after_ms);
    } else {
      s = MakeError("{} is not a known key (interval_ms, divide_after_ms, enforcer)", Where(path, n, key));
    }
    errors.Add(s);
  }
}

void CheckBandwidth(const BandwidthConfig& c, ConfigErrors& errors) {
  for (size_t i = 0; i < c.pipes.size(); ++i) {
    for (size_t j = i + 1; j < c.pipes.size(); ++j) {
      if (c.pipes[i].interface == c.pipes[j].interface) {
        errors.Add(fmt::format("pipe.{} and pipe.{} both leave by {}: one pipe per interface", c.pipes[i].pipe,
                               c.pipes[j].pipe, c.pipes[i].interface));
      }
    }
  }
  if (c.divide_after_ms >= c.interval_ms) {
    errors.Add(fmt::format("bandwidth.divide_after_ms ({}) must be less than bandwidth.interval_ms ({})",
                           c.divide_after_ms, c.interval_ms));
  }
}

}  // namespace shoal::daemon
