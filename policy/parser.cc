#include "policy/parser.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/endpoint.h"
#include "core/event_types.h"
#include "policy/checks.h"
#include "policy/glob.h"
#include "policy/units.h"
#include "policy/xml_reader.h"

namespace shoal::policy {
namespace {

// "node.joined, node.suspected, ...": what event= takes beyond the four.
std::string EventTypeList() {
  std::string out;
  for (const auto& k : EventKinds()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

bool DefaultZoneExists(std::string_view zone) {
  if (zone == "UTC") return true;
  if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string_view::npos) return false;
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / std::string(zone), ec);
}

class Parser : public XmlReader {
 public:
  Parser(std::string_view text, const ParseOptions& options) : XmlReader(text), options_(options) {}

  ParsedPolicy Run() {
    if (text().size() > options_.max_bytes) {
      DocumentError(1, 1, "<shoal-policy>",
                    fmt::format("the document is {} bytes, more than the {} accepted", text().size(),
                                options_.max_bytes));
      return Done();
    }
    pugi::xml_document xml;
    pugi::xml_parse_result r = xml.load_buffer(text().data(), text().size(), pugi::parse_default, pugi::encoding_utf8);
    if (!r) {
      auto [line, column] = Position(static_cast<size_t>(std::max<ptrdiff_t>(0, r.offset)));
      DocumentError(line, column, "", fmt::format("not well-formed XML: {}", r.description()));
      return Done();
    }
    pugi::xml_node root = xml.document_element();
    if (std::string_view(root.name()) != "shoal-policy") {
      Error(root, "the document element must be <shoal-policy>");
      return Done();
    }
    ReadRoot(root);
    if (!has_errors()) {
      CheckDocument(doc_, options_.pool_millicores, [this](int line, const std::string& element, std::string message) {
        ErrorAt(line, element, std::move(message));
      });
    }
    return Done();
  }

 private:
  ParsedPolicy Done() {
    ParsedPolicy out;
    out.errors = TakeErrors();
    if (out.errors.empty()) out.document = std::move(doc_);
    return out;
  }

  void ReadRoot(pugi::xml_node root) {
    CheckAttributes(root, {"version", "mode"});
    if (auto v = Attr(root, "version"); v && *v != "1") Error(root, "version \"{}\": this Shoal reads version 1", *v);
    if (auto m = Attr(root, "mode")) {
      if (*m == "enforce") doc_.mode = Mode::kEnforce;
      else if (*m != "monitor") Error(root, "mode=\"{}\": expected monitor or enforce", *m);
    }
    for (pugi::xml_node c : Elements(root)) {
      std::string_view name = c.name();
      if (name == "pipe") ReadPipe(c);
      else if (name == "application") ReadApplication(c);
      else if (name == "policy") ReadPolicy(c);
      else if (name == "trigger") ReadTrigger(c);
      else UnknownChild(root, c, "<pipe>, <application>, <policy> or <trigger>");
    }
  }

  void ReadPipe(pugi::xml_node n) {
    CheckAttributes(n, {"name", "in", "out", "immediate-share"});
    NoChildren(n);
    PipeSpec p;
    p.line = LineOf(n);
    if (auto v = Name(n, "name")) p.name = *v;
    if (auto v = Attr(n, "in")) p.in = Check(n, "in", ParseRate(*v));
    if (auto v = Attr(n, "out")) p.out = Check(n, "out", ParseRate(*v));
    if (!n.attribute("in") && !n.attribute("out")) Error(n, "give the capacity of at least one direction: in, out");
    if (auto v = Attr(n, "immediate-share")) {
      if (auto pct = Check(n, "immediate-share", ParsePercent(*v))) p.immediate_share = *pct / 100;
    }
    doc_.pipes.push_back(std::move(p));
  }

  void ReadApplication(pugi::xml_node n) {
    CheckAttributes(n, {"name"});
    ApplicationSpec a;
    a.line = LineOf(n);
    if (auto v = Name(n, "name")) a.name = *v;
    for (pugi::xml_node c : Elements(n)) {
      std::string_view name = c.name();
      if (name == "process") a.processes.push_back(ReadProcess(c));
      else if (name == "flow") a.flows.push_back(ReadFlow(c));
      else UnknownChild(n, c, "<process> or <flow>");
    }
    if (a.processes.empty() && a.flows.empty()) {
      Error(n, "application \"{}\" has no <process> or <flow> rule, so nothing would belong to it", a.name);
    }
    doc_.applications.push_back(std::move(a));
  }

  ProcessRule ReadProcess(pugi::xml_node n) {
    CheckAttributes(n, {"name", "cmdline", "user", "group", "parent", "children"});
    NoChildren(n);
    ProcessRule r;
    r.line = LineOf(n);
    r.name = Attr(n, "name");
    r.cmdline = Attr(n, "cmdline");
    r.user = Attr(n, "user");
    r.group = Attr(n, "group");
    r.parent = Attr(n, "parent");
    r.children = Bool(n, "children").value_or(false);
    if (!r.name && !r.cmdline && !r.user && !r.group && !r.parent) {
      Error(n, "a process rule needs at least one of name, cmdline, user, group, parent");
    }
    for (const auto* field : {&r.name, &r.user, &r.group, &r.parent}) {
      if (*field && field->value().empty()) Error(n, "an empty attribute matches nothing; leave it out");
    }
    if (r.cmdline) {
      if (auto s = CheckGlob(*r.cmdline); !s.ok()) Error(n, "cmdline: {}", s.error().message);
    }
    return r;
  }

  FlowRule ReadFlow(pugi::xml_node n) {
    CheckAttributes(n, {"port", "address", "protocol"});
    NoChildren(n);
    FlowRule f;
    f.line = LineOf(n);
    if (auto v = Attr(n, "port")) {
      size_t dash = v->find('-');
      auto parse_port = [&](std::string_view t) -> std::optional<uint16_t> {
        unsigned x = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
        if (ec != std::errc() || p != t.data() + t.size() || x == 0 || x > 65535) return std::nullopt;
        return static_cast<uint16_t>(x);
      };
      auto lo = parse_port(std::string_view(*v).substr(0, dash));
      auto hi = dash == std::string::npos ? lo : parse_port(std::string_view(*v).substr(dash + 1));
      if (!lo || !hi || *hi < *lo) {
        Error(n, "port=\"{}\": expected a port (1-65535) or a range such as 8000-8080", *v);
      } else {
        f.ports = std::make_pair(*lo, *hi);
      }
    }
    if (auto v = Attr(n, "address")) {
      auto prefix = Ipv4Prefix::Parse(*v);
      if (!prefix.ok()) {
        Error(n, "address=\"{}\": expected an IPv4 address or network such as 10.0.0.0/8", *v);
      } else {
        f.address = std::make_pair(prefix->ip, prefix->length);
      }
    }
    if (auto v = Attr(n, "protocol")) {
      if (*v == "tcp") f.protocol = Protocol::kTcp;
      else if (*v == "udp") f.protocol = Protocol::kUdp;
      else if (*v != "any") Error(n, "protocol=\"{}\": expected tcp, udp or any", *v);
    }
    if (!n.attribute("port") && !n.attribute("address")) Error(n, "a flow rule needs a port or an address");
    return f;
  }

  // <cpu>, or a trigger's <set-cpu> (which also names its application).
  std::optional<CpuShare> ReadCpu(pugi::xml_node n, bool in_action = false) {
    if (in_action) {
      CheckAttributes(n, {"pool-percent", "server-percent", "cores", "application", "cap"});
    } else {
      CheckAttributes(n, {"pool-percent", "server-percent", "cores", "cap"});
    }
    NoChildren(n);
    CpuShare c;
    c.line = LineOf(n);
    int kinds = 0;
    if (auto v = Attr(n, "pool-percent")) {
      ++kinds;
      c.kind = CpuKind::kPoolPercent;
      if (auto x = Check(n, "pool-percent", ParsePercent(*v))) c.amount = *x;
    }
    if (auto v = Attr(n, "server-percent")) {
      ++kinds;
      c.kind = CpuKind::kServerPercent;
      if (auto x = Check(n, "server-percent", ParsePercent(*v))) c.amount = *x;
    }
    if (auto v = Attr(n, "cores")) {
      ++kinds;
      c.kind = CpuKind::kCores;
      if (auto x = Cores(n, "cores", *v)) c.amount = *x;
    }
    if (kinds != 1) {
      Error(n, "give exactly one of pool-percent, server-percent, cores");
      return std::nullopt;
    }
    if (auto v = Attr(n, "cap")) {
      c.cap = c.kind == CpuKind::kCores ? Cores(n, "cap", *v) : Check(n, "cap", ParsePercent(*v));
      if (c.cap && *c.cap < c.amount) {
        Error(n, "cap {} is below the share itself, {}", FormatNumber(*c.cap), FormatNumber(c.amount));
      }
    }
    return c;
  }

  std::optional<double> Cores(pugi::xml_node n, const char* attr, const std::string& v) {
    double x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size() || !(x > 0) || x > 1e6) {
      Error(n, "{}=\"{}\": expected a number of cores above 0, such as 2 or 0.5", attr, v);
      return std::nullopt;
    }
    return x;
  }

  std::optional<BandwidthShare> ReadBandwidth(pugi::xml_node n) {
    CheckAttributes(n, {"pipe", "direction", "rate", "percent", "cap"});
    NoChildren(n);
    BandwidthShare b;
    b.line = LineOf(n);
    if (auto v = Required(n, "pipe")) b.pipe = *v;
    if (auto v = Required(n, "direction")) {
      if (*v == "in") b.direction = Direction::kIn;
      else if (*v != "out") Error(n, "direction=\"{}\": expected in or out", *v);
    }
    auto rate = Attr(n, "rate");
    auto percent = Attr(n, "percent");
    if (rate.has_value() == percent.has_value()) {
      Error(n, "give exactly one of rate, percent");
      return std::nullopt;
    }
    b.percent = percent.has_value();
    if (rate) {
      if (auto x = Check(n, "rate", ParseRate(*rate))) b.amount = static_cast<double>(*x);
    } else if (auto x = Check(n, "percent", ParsePercent(*percent))) {
      b.amount = *x;
    }
    if (auto v = Attr(n, "cap")) {
      if (b.percent) {
        b.cap = Check(n, "cap", ParsePercent(*v));
      } else if (auto x = Check(n, "cap", ParseRate(*v))) {
        b.cap = static_cast<double>(*x);
      }
      if (b.cap && *b.cap < b.amount) Error(n, "cap is below the share itself");
    }
    return b;
  }

  // <cpu> and <bandwidth> children of a policy, window or failure adjustment.
  bool ReadShareChild(pugi::xml_node c, std::optional<CpuShare>& cpu, std::vector<BandwidthShare>& bw) {
    std::string_view name = c.name();
    if (name == "cpu") {
      if (cpu) Error(c, "a second <cpu> here; give one");
      cpu = ReadCpu(c);
      return true;
    }
    if (name == "bandwidth") {
      if (auto b = ReadBandwidth(c)) bw.push_back(std::move(*b));
      return true;
    }
    return false;
  }

  void ReadPolicy(pugi::xml_node n) {
    CheckAttributes(n, {"application", "priority"});
    PolicySpec p;
    p.line = LineOf(n);
    if (auto v = Name(n, "application")) p.application = *v;
    if (auto v = Integer(n, "priority", 1, 100)) p.priority = static_cast<int>(*v);
    for (pugi::xml_node c : Elements(n)) {
      std::string_view name = c.name();
      if (ReadShareChild(c, p.cpu, p.bandwidth)) continue;
      if (name == "schedule") {
        if (p.schedule) Error(c, "a second <schedule>; put all windows in one");
        p.schedule = ReadSchedule(c);
      } else if (name == "on-failure") {
        if (p.on_failure) Error(c, "a second <on-failure>");
        p.on_failure = ReadFailure(c);
      } else {
        UnknownChild(n, c, "<cpu>, <bandwidth>, <schedule> or <on-failure>");
      }
    }
    if (!p.cpu && p.bandwidth.empty() && !p.schedule) {
      Error(n, "policy for \"{}\" gives no <cpu>, <bandwidth> or <schedule>", p.application);
    }
    doc_.policies.push_back(std::move(p));
  }

  ShareOverride ReadOverride(pugi::xml_node n, const char* what) {
    ShareOverride o;
    for (pugi::xml_node c : Elements(n)) {
      if (!ReadShareChild(c, o.cpu, o.bandwidth)) UnknownChild(n, c, "<cpu> or <bandwidth>");
    }
    if (!o.cpu && o.bandwidth.empty()) Error(n, "{} changes nothing: give a <cpu> or <bandwidth>", what);
    return o;
  }

  Schedule ReadSchedule(pugi::xml_node n) {
    CheckAttributes(n, {"timezone"});
    Schedule s;
    s.line = LineOf(n);
    if (auto v = Attr(n, "timezone")) s.timezone = *v;
    auto exists = options_.zone_exists ? options_.zone_exists : DefaultZoneExists;
    if (!exists(s.timezone)) Error(n, "timezone=\"{}\": no such time zone (use an IANA name such as Europe/London)", s.timezone);
    for (pugi::xml_node c : Elements(n)) {
      if (std::string_view(c.name()) != "window") {
        UnknownChild(n, c, "<window>");
        continue;
      }
      CheckAttributes(c, {"days", "from", "to"});
      Window w;
      w.line = LineOf(c);
      if (auto v = Required(c, "days")) {
        if (auto d = Check(c, "days", ParseDays(*v))) w.days = *d;
      }
      if (auto v = Attr(c, "from")) {
        if (auto m = Check(c, "from", ParseTimeOfDay(*v, false))) w.from_minute = *m;
      }
      if (auto v = Attr(c, "to")) {
        if (auto m = Check(c, "to", ParseTimeOfDay(*v, true))) w.to_minute = *m;
      }
      if (w.to_minute <= w.from_minute) {
        Error(c, "the window ends ({}) before it starts ({}); split a window across midnight in two",
              FormatTimeOfDay(w.to_minute), FormatTimeOfDay(w.from_minute));
      }
      w.shares = ReadOverride(c, "a window");
      for (const Window& other : s.windows) {
        if ((other.days & w.days) && w.from_minute < other.to_minute && other.from_minute < w.to_minute) {
          Error(c, "overlaps the window on line {} ({} {}-{})", other.line, FormatDays(other.days),
                FormatTimeOfDay(other.from_minute), FormatTimeOfDay(other.to_minute));
        }
      }
      s.windows.push_back(std::move(w));
    }
    if (s.windows.empty()) Error(n, "a schedule needs at least one <window>");
    return s;
  }

  FailureAdjustment ReadFailure(pugi::xml_node n) {
    CheckAttributes(n, {"min-failed"});
    FailureAdjustment f;
    f.line = LineOf(n);
    if (auto v = Integer(n, "min-failed", 1, 100000)) f.min_failed = static_cast<int>(*v);
    f.shares = ReadOverride(n, "<on-failure>");
    return f;
  }

  void ReadTrigger(pugi::xml_node n) {
    CheckAttributes(n, {"name", "event", "every", "application", "threshold", "rate-limit"});
    TriggerSpec t;
    t.line = LineOf(n);
    if (auto v = Name(n, "name")) t.name = *v;
    if (auto v = Required(n, "event")) {
      if (*v == "timer") t.event = TriggerEvent::kTimer;
      else if (*v == "insufficient-resources") t.event = TriggerEvent::kInsufficientResources;
      else if (*v == "node-failed") t.event = TriggerEvent::kNodeFailed;
      else if (*v == "usage-above") t.event = TriggerEvent::kUsageAbove;
      else if (EventTypeNamed(*v)) t.event = TriggerEvent::kEvent, t.event_type = *v;
      else Error(n, "event=\"{}\": expected timer, insufficient-resources, node-failed, usage-above or an event type ({})", *v, EventTypeList());
    }
    if (auto v = Attr(n, "every")) {
      if (auto ms = Check(n, "every", ParseDurationMs(*v))) t.every_ms = *ms;
    }
    if (auto v = Attr(n, "application")) t.application = *v;
    if (auto v = Attr(n, "threshold")) {
      if (auto x = Check(n, "threshold", ParsePercent(*v))) t.threshold_percent = *x;
    }
    if (auto v = Attr(n, "rate-limit")) {
      if (auto ms = Check(n, "rate-limit", ParseDurationMs(*v))) t.rate_limit_ms = *ms;
    }
    if (t.event == TriggerEvent::kTimer && !n.attribute("every")) Error(n, "a timer trigger needs every=\"...\"");
    if (t.event != TriggerEvent::kTimer && n.attribute("every")) Error(n, "every= is only for event=\"timer\"");
    if (t.event == TriggerEvent::kUsageAbove && (t.application.empty() || !n.attribute("threshold"))) {
      Error(n, "a usage-above trigger needs application= and threshold=");
    }
    if (t.event != TriggerEvent::kUsageAbove && n.attribute("threshold")) {
      Error(n, "threshold= is only for event=\"usage-above\"");
    }
    for (pugi::xml_node c : Elements(n)) {
      std::string_view name = c.name();
      TriggerAction a;
      a.line = LineOf(c);
      if (name == "set-cpu") {
        a.kind = TriggerAction::Kind::kSetCpu;
        if (t.event == TriggerEvent::kEvent && !KindOf(*EventTypeNamed(t.event_type)).pool_wide) {
          Error(c, "<set-cpu> needs a pool-wide event: {} is raised on one node only, and every node must plan alike",
                t.event_type);
        }
        if (auto v = Name(c, "application")) a.application = *v;
        if (auto cpu = ReadCpu(c, true)) a.cpu = *cpu;
      } else if (name == "run") {
        CheckAttributes(c, {"script", "timeout"});
        NoChildren(c);
        a.kind = TriggerAction::Kind::kRun;
        if (auto v = Required(c, "script")) {
          a.script = *v;
          if (a.script.empty() || a.script.front() != '/') Error(c, "script=\"{}\": give an absolute path", a.script);
        }
        if (auto v = Attr(c, "timeout")) {
          if (auto ms = Check(c, "timeout", ParseDurationMs(*v))) a.timeout_ms = *ms;
        }
      } else if (name == "log") {
        CheckAttributes(c, {"level", "message"});
        NoChildren(c);
        a.kind = TriggerAction::Kind::kLog;
        if (auto v = Attr(c, "level")) {
          a.level = *v;
          if (a.level != "info" && a.level != "warning" && a.level != "error") {
            Error(c, "level=\"{}\": expected info, warning or error", a.level);
          }
        }
        if (auto v = Required(c, "message")) a.message = *v;
      } else {
        UnknownChild(n, c, "<set-cpu>, <run> or <log>");
        continue;
      }
      t.actions.push_back(std::move(a));
    }
    if (t.actions.empty()) Error(n, "trigger \"{}\" has no action (<set-cpu>, <run> or <log>)", t.name);
    doc_.triggers.push_back(std::move(t));
  }

  const ParseOptions& options_;
  PolicyDocument doc_;
};

}  // namespace

std::string FormatPolicyError(const PolicyError& e, std::string_view source) {
  if (e.element.empty()) return fmt::format("{}:{}:{}: {}", source, e.line, e.column, e.message);
  return fmt::format("{}:{}:{}: {}: {}", source, e.line, e.column, e.element, e.message);
}

ParsedPolicy ParsePolicy(std::string_view xml, const ParseOptions& options) {
  return Parser(xml, options).Run();
}

}  // namespace shoal::policy
