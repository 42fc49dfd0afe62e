#include "daemon/events/event_config.h"

#include <charconv>

namespace shoal::daemon {
namespace {

Status ReadStringList(const std::string& path, const toml::node& n, std::string_view key,
                      std::vector<std::string>& out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return MakeError("{} must be an array of strings", Where(path, n, key));
  out.clear();
  for (auto&& item : *a) {
    if (!item.is_string()) return MakeError("{} must be an array of strings", Where(path, item, key));
    out.push_back(*item.value<std::string>());
  }
  return Status::Ok();
}

Status ReadSeverity(const std::string& path, const toml::node& n, std::string_view key, std::string& out) {
  if (auto s = ReadString(path, n, key, out); !s.ok()) return s;
  if (SeverityRank(out) < 0) return MakeError("{} '{}' is not one of info, notice, warning, error", Where(path, n, key), out);
  return Status::Ok();
}

Status ReadBool(const std::string& path, const toml::node& n, std::string_view key, bool& out) {
  if (!n.is_boolean()) return MakeError("{} must be true or false", Where(path, n, key));
  out = *n.value<bool>();
  return Status::Ok();
}

// types / min_severity of a sink; false if `k` is neither.
bool ReadFilterKey(const std::string& path, std::string_view k, const toml::node& n, const std::string& key,
                   EventFilter& f, ConfigErrors& errors) {
  if (k == "types") errors.Add(ReadStringList(path, n, key, f.types));
  else if (k == "min_severity") errors.Add(ReadSeverity(path, n, key, f.min_severity));
  else return false;
  return true;
}

// Each table of an array of tables ([[events.NAME]]), read by `read`.
template <typename T, typename Read>
void ReadTables(const std::string& path, const toml::node& n, const std::string& name, std::vector<T>& out,
                ConfigErrors& errors, Read read) {
  const toml::array* a = n.as_array();
  if (a == nullptr || !a->is_array_of_tables()) {
    return errors.Add(fmt::format("{} must be tables: [[{}]]", Where(path, n, name), name));
  }
  for (auto&& item : *a) {
    T one;
    const size_t before = errors.lines().size();
    read(*item.as_table(), one);
    if (errors.lines().size() == before) out.push_back(std::move(one));
  }
}

void ReadWebhook(const std::string& path, const toml::table& t, WebhookConfig& w, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "events.webhook." + std::string(k.str());
    if (ReadFilterKey(path, k.str(), n, key, w.filter, errors)) continue;
    Status s;
    if (k == "url") {
      s = ReadString(path, n, key, w.url);
      if (auto u = ParseHttpUrl(w.url); s.ok() && !u.ok()) s = MakeError("{}: {}", Where(path, n, key), u.error().message);
    } else if (k == "timeout_ms") s = ReadInt(path, n, key, 100, 60000, w.timeout_ms);
    else if (k == "retries") s = ReadInt(path, n, key, 0, 100, w.retries);
    else if (k == "queue") s = ReadInt(path, n, key, 1, 100000, w.queue);
    else s = MakeError("{} is not a known key (url, types, min_severity, timeout_ms, retries, queue)", Where(path, n, key));
    errors.Add(s);
  }
  if (w.url.empty()) errors.Add(fmt::format("{}:{}: [[events.webhook]] has no url", path, t.source().begin.line));
}

void ReadTrap(const std::string& path, const toml::table& t, TrapConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "events.snmp_trap." + std::string(k.str());
    if (ReadFilterKey(path, k.str(), n, key, c.filter, errors)) continue;
    Status s;
    if (k == "target") s = ReadString(path, n, key, c.target);
    else if (k == "community") s = ReadString(path, n, key, c.community);
    else s = MakeError("{} is not a known key (target, community, types, min_severity)", Where(path, n, key));
    errors.Add(s);
  }
  if (c.target.empty()) errors.Add(fmt::format("{}:{}: [[events.snmp_trap]] has no target", path, t.source().begin.line));
}

}  // namespace

void ReadEvents(const std::string& path, const toml::table& t, EventsConfig& c, ConfigErrors& errors) {
  for (auto&& [k, n] : t) {
    const std::string key = "events." + std::string(k.str());
    Status s;
    if (k == "journal") s = ReadBool(path, n, key, c.journal);
    else if (k == "script") s = ReadString(path, n, key, c.script);
    else if (k == "script_types") s = ReadStringList(path, n, key, c.script_filter.types);
    else if (k == "script_min_severity") s = ReadSeverity(path, n, key, c.script_filter.min_severity);
    else if (k == "script_timeout_ms") s = ReadInt(path, n, key, 100, 600000, c.script_timeout_ms);
    else if (k == "webhook") {
      ReadTables(path, n, key, c.webhooks, errors, [&](const toml::table& w, WebhookConfig& out) { ReadWebhook(path, w, out, errors); });
    } else if (k == "snmp_trap") {
      ReadTables(path, n, key, c.traps, errors, [&](const toml::table& w, TrapConfig& out) { ReadTrap(path, w, out, errors); });
    } else {
      s = MakeError("{} is not a known key (journal, script, script_types, script_min_severity, script_timeout_ms, "
                    "[[events.webhook]], [[events.snmp_trap]])",
                    Where(path, n, key));
    }
    errors.Add(s);
  }
}

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  if (url.starts_with("https://")) {
    return MakeError("'{}': https is not supported; send to a local relay over http (e.g. on 127.0.0.1)", url);
  }
  if (!url.starts_with("http://")) return MakeError("'{}' is not an http:// URL", url);
  std::string rest = url.substr(7);
  HttpUrl u;
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    u.target = rest.substr(slash);
    rest.resize(slash);
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      return MakeError("'{}': port '{}' is not a number in 1..65535", url, port);
    }
    u.port = static_cast<uint16_t>(value);
    rest.resize(colon);
  }
  if (rest.empty()) return MakeError("'{}' has no host", url);
  if (rest.find_first_of(" @[]") != std::string::npos) return MakeError("'{}': a host name or IPv4 address is wanted", url);
  u.host = rest;
  return u;
}

}  // namespace shoal::daemon
