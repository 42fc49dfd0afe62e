#include "daemon/reload.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace shoal::daemon {
namespace {

using Settings = std::map<std::string, std::string>;

std::string Ms(Duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }

std::string Join(const std::vector<Ipv4Prefix>& prefixes) {
  std::vector<std::string> s;
  for (const auto& p : prefixes) s.push_back(p.ToString());
  return fmt::format("{}", fmt::join(s, ","));
}

void AddGossip(const gossip::GossipConfig& g, Settings& s) {
  s["gossip.period_ms"] = Ms(g.period);
  s["gossip.fanout"] = std::to_string(g.fanout);
  s["gossip.ttl"] = std::to_string(g.max_ttl);
  s["gossip.sends"] = std::to_string(g.sends);
  s["gossip.mtu"] = std::to_string(g.mtu);
  s["gossip.suspect_timeout_ms"] = Ms(g.suspect_timeout);
  s["gossip.failure_timeout_ms"] = Ms(g.failure_timeout);
  s["gossip.suspect_probe_ms"] = Ms(g.suspect_probe_interval);
  s["gossip.probe_ms"] = Ms(g.probe_interval);
  s["gossip.probe_timeout_ms"] = Ms(g.probe_timeout);
  s["gossip.reap_after_s"] = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(g.reap_after).count());
}

std::string FilterText(const EventFilter& f) {
  return fmt::format("{} from {}", f.types.empty() ? "every type" : fmt::format("{}", fmt::join(f.types, ",")),
                     f.min_severity);
}

void AddEvents(const EventsConfig& e, Settings& s) {
  s["events.journal"] = e.journal ? "true" : "false";
  s["events.script"] = e.script.empty() ? "" : fmt::format("{} ({}, {} ms)", e.script, FilterText(e.script_filter),
                                                           e.script_timeout_ms);
  for (size_t i = 0; i < e.webhooks.size(); ++i) {
    const auto& w = e.webhooks[i];
    s[fmt::format("events.webhook[{}]", i)] = fmt::format("{} ({}, {} ms, {} retries, queue {})", w.url,
                                                          FilterText(w.filter), w.timeout_ms, w.retries, w.queue);
  }
  for (size_t i = 0; i < e.traps.size(); ++i) {
    const auto& t = e.traps[i];
    s[fmt::format("events.snmp_trap[{}]", i)] = fmt::format("{} ({})", t.target, FilterText(t.filter));
  }
}

void AddSections(const DaemonConfig& c, Settings& s) {
  s["cpu.capacity_millicores"] = std::to_string(c.cpu.capacity_millicores);
  s["cpu.enforcer"] = c.cpu.enforcer;
  s["cpu.cgroup_parent"] = c.cpu.cgroup_parent;
  s["cpu.sample_every_ms"] = std::to_string(c.cpu.sample_every_ms);
  s["cpu.full_scan_every"] = std::to_string(c.cpu.full_scan_every);
  s["control.listen"] = c.control.listen.ToString();
  s["control.admin_keys_file"] = c.control.admin_keys_file;
  s["http.listen"] = c.http.listen.valid() ? c.http.listen.ToString() : "";
  s["http.require_token"] = c.http.require_token ? "true" : "false";
  s["history.enabled"] = c.history.enabled ? "true" : "false";
  s["history.path"] = c.history.path;
  s["history.archive_dir"] = c.history.archive_dir;
  s["history.copies"] = std::to_string(c.history.copies);
  s["history.keep"] = fmt::format("{}h/{}d/{}d/{}d", c.history.keep_raw_hours, c.history.keep_minutes_days,
                                  c.history.keep_hours_days, c.history.keep_events_days);
  s["triggers.scripts_dir"] = c.triggers.scripts_dir;
  s["triggers.scripts_user"] = c.triggers.scripts_user;
  AddEvents(c.events, s);
  s["bandwidth.enforcer"] = c.bandwidth.enforcer;
  s["bandwidth.interval_ms"] = std::to_string(c.bandwidth.interval_ms);
  s["bandwidth.divide_after_ms"] = std::to_string(c.bandwidth.divide_after_ms);
  for (const auto& p : c.bandwidth.pipes) {
    s["pipe." + p.pipe] = fmt::format("{} to {} except {}", p.interface, Join(p.destinations), Join(p.exclude));
  }
}

Settings Fixed(const DaemonConfig& c) {
  Settings s;
  s["node_name"] = c.node_name;
  s["bind"] = c.bind.ToString();
  s["advertise"] = c.advertise.ToString();
  s["state_dir"] = c.state_dir;
  s["log_format"] = c.log_format;
  s["preset"] = c.preset;
  s["probe_every_ms"] = std::to_string(c.probe_every_ms);
  AddGossip(c.gossip, s);
  AddSections(c, s);
  return s;
}

Settings Live(const DaemonConfig& c) {
  return {{"log_level", c.log_level},
          {"seeds", fmt::format("{}", fmt::join(c.seeds, ","))},
          {"report_every_ms", std::to_string(c.report_every_ms)},
          {"wall_clock_offset_ms", std::to_string(c.wall_clock_offset_ms)},
          {"key_file", c.key_file},
          {"control.tokens_file", c.control.tokens_file}};
}

std::string Shown(const std::string& v) { return v.empty() ? "(none)" : v; }

}  // namespace

ReloadPlan PlanReload(const DaemonConfig& running, const DaemonConfig& fresh) {
  ReloadPlan plan;
  const Settings live_old = Live(running), live_new = Live(fresh);
  for (const auto& [key, value] : live_new) {
    if (live_old.at(key) != value) plan.live.push_back(key);
  }
  Settings fixed_old = Fixed(running), fixed_new = Fixed(fresh);
  for (const auto& [key, value] : fixed_old) fixed_new.try_emplace(key, "");
  for (const auto& [key, value] : fixed_new) {
    const auto old = fixed_old.find(key);
    const std::string& was = old == fixed_old.end() ? std::string() : old->second;
    if (was != value) plan.restart.push_back(fmt::format("{} ({} -> {})", key, Shown(was), Shown(value)));
  }
  return plan;
}

}  // namespace shoal::daemon
