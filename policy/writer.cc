#include "policy/writer.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "policy/triggers.h"
#include "policy/units.h"

namespace shoal::policy {
namespace {

void Set(pugi::xml_node n, const char* name, const std::string& value) {
  n.append_attribute(name).set_value(value.c_str());
}

std::string Ipv4(uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void WriteCpu(pugi::xml_node parent, const CpuShare& c, const char* element = "cpu",
              const std::string& application = {}) {
  pugi::xml_node n = parent.append_child(element);
  if (!application.empty()) Set(n, "application", application);
  const char* attr = c.kind == CpuKind::kPoolPercent     ? "pool-percent"
                     : c.kind == CpuKind::kServerPercent ? "server-percent"
                                                         : "cores";
  bool percent = c.kind != CpuKind::kCores;
  Set(n, attr, FormatNumber(c.amount) + (percent ? "%" : ""));
  if (c.cap) Set(n, "cap", FormatNumber(*c.cap) + (percent ? "%" : ""));
}

void WriteBandwidth(pugi::xml_node parent, const BandwidthShare& b) {
  pugi::xml_node n = parent.append_child("bandwidth");
  Set(n, "pipe", b.pipe);
  Set(n, "direction", b.direction == Direction::kIn ? "in" : "out");
  auto amount = [&](double x) {
    return b.percent ? FormatNumber(x) + "%" : FormatRate(static_cast<uint64_t>(x));
  };
  Set(n, b.percent ? "percent" : "rate", amount(b.amount));
  if (b.cap) Set(n, "cap", amount(*b.cap));
}

void WriteOverride(pugi::xml_node n, const ShareOverride& o) {
  if (o.cpu) WriteCpu(n, *o.cpu);
  for (const auto& b : o.bandwidth) WriteBandwidth(n, b);
}

// An XML comment may not hold "--" nor end with "-".
void Comment(pugi::xml_node parent, std::string text) {
  if (text.empty()) return;
  for (size_t at; (at = text.find("--")) != std::string::npos;) text.erase(at, 1);
  parent.append_child(pugi::node_comment).set_value((" " + text + " ").c_str());
}

}  // namespace

std::string WritePolicy(const PolicyDocument& doc, const PolicyComments& comments) {
  pugi::xml_document xml;
  pugi::xml_node decl = xml.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node root = xml.append_child("shoal-policy");
  Set(root, "version", "1");
  Set(root, "mode", doc.mode == Mode::kEnforce ? "enforce" : "monitor");
  Comment(root, comments.head);

  for (const auto& p : doc.pipes) {
    pugi::xml_node n = root.append_child("pipe");
    Set(n, "name", p.name);
    if (p.in) Set(n, "in", FormatRate(*p.in));
    if (p.out) Set(n, "out", FormatRate(*p.out));
    Set(n, "immediate-share", FormatNumber(p.immediate_share * 100) + "%");
  }
  for (const auto& a : doc.applications) {
    pugi::xml_node n = root.append_child("application");
    Set(n, "name", a.name);
    for (const auto& r : a.processes) {
      pugi::xml_node c = n.append_child("process");
      if (r.name) Set(c, "name", *r.name);
      if (r.cmdline) Set(c, "cmdline", *r.cmdline);
      if (r.user) Set(c, "user", *r.user);
      if (r.group) Set(c, "group", *r.group);
      if (r.parent) Set(c, "parent", *r.parent);
      if (r.children) Set(c, "children", "true");
    }
    for (const auto& f : a.flows) {
      pugi::xml_node c = n.append_child("flow");
      if (f.ports) {
        Set(c, "port", f.ports->first == f.ports->second
                           ? std::to_string(f.ports->first)
                           : fmt::format("{}-{}", f.ports->first, f.ports->second));
      }
      if (f.address) Set(c, "address", fmt::format("{}/{}", Ipv4(f.address->first), f.address->second));
      if (f.protocol != Protocol::kAny) Set(c, "protocol", f.protocol == Protocol::kTcp ? "tcp" : "udp");
    }
  }
  for (const auto& p : doc.policies) {
    if (auto c = comments.policies.find(p.application); c != comments.policies.end()) Comment(root, c->second);
    pugi::xml_node n = root.append_child("policy");
    Set(n, "application", p.application);
    Set(n, "priority", std::to_string(p.priority));
    if (p.cpu) WriteCpu(n, *p.cpu);
    for (const auto& b : p.bandwidth) WriteBandwidth(n, b);
    if (p.schedule) {
      pugi::xml_node s = n.append_child("schedule");
      Set(s, "timezone", p.schedule->timezone);
      for (const auto& w : p.schedule->windows) {
        pugi::xml_node c = s.append_child("window");
        Set(c, "days", FormatDays(w.days));
        Set(c, "from", FormatTimeOfDay(w.from_minute));
        Set(c, "to", FormatTimeOfDay(w.to_minute));
        WriteOverride(c, w.shares);
      }
    }
    if (p.on_failure) {
      pugi::xml_node f = n.append_child("on-failure");
      Set(f, "min-failed", std::to_string(p.on_failure->min_failed));
      WriteOverride(f, p.on_failure->shares);
    }
  }
  for (const auto& t : doc.triggers) {
    pugi::xml_node n = root.append_child("trigger");
    Set(n, "name", t.name);
    Set(n, "event", EventAttribute(t));
    if (t.event == TriggerEvent::kTimer) Set(n, "every", FormatDurationMs(t.every_ms));
    if (!t.application.empty()) Set(n, "application", t.application);
    if (t.event == TriggerEvent::kUsageAbove) Set(n, "threshold", FormatNumber(t.threshold_percent) + "%");
    Set(n, "rate-limit", FormatDurationMs(t.rate_limit_ms));
    for (const auto& a : t.actions) {
      switch (a.kind) {
        case TriggerAction::Kind::kSetCpu:
          WriteCpu(n, a.cpu, "set-cpu", a.application);
          break;
        case TriggerAction::Kind::kRun: {
          pugi::xml_node c = n.append_child("run");
          Set(c, "script", a.script);
          Set(c, "timeout", FormatDurationMs(a.timeout_ms));
          break;
        }
        case TriggerAction::Kind::kLog: {
          pugi::xml_node c = n.append_child("log");
          Set(c, "level", a.level);
          Set(c, "message", a.message);
          break;
        }
      }
    }
  }
  std::ostringstream out;
  xml.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace shoal::policy
