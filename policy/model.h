// The policy document as values: what an operator writes in XML
// (policy/shoal-policy.xsd, examples/policies/) after parsing and checking.
// One document describes the whole pool: pipes, applications with their
// detection rules, policies, schedules, failure adjustments, triggers, and
// the enforcement mode. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"

namespace shoal::policy {

enum class Mode { kMonitor, kEnforce };
enum class Direction { kIn, kOut };
enum class Protocol { kAny, kTcp, kUdp };

// The netmask of an IPv4 prefix length (0..32), host byte order.
inline uint32_t PrefixMask(uint8_t prefix) { return Ipv4Prefix::Mask(prefix); }

struct PipeSpec {
  std::string name;
  std::optional<uint64_t> in;   // bytes per second
  std::optional<uint64_t> out;  // bytes per second
  double immediate_share = 0.5;  // 0..1
  int line = 0;                  // where it was written (0: built in code)
  bool operator==(const PipeSpec&) const = default;
};

// A process matches when every given field matches.
struct ProcessRule {
  std::optional<std::string> name;     // exact process name (comm)
  std::optional<std::string> cmdline;  // glob over the command line, words joined by spaces
  std::optional<std::string> user;     // user name or numeric uid
  std::optional<std::string> group;    // group name or numeric gid
  std::optional<std::string> parent;   // the parent's process name
  bool children = false;               // its descendants belong to the application too
  int line = 0;
  bool operator==(const ProcessRule&) const = default;
};

// A flow (a socket) matches when every given field matches.
struct FlowRule {
  std::optional<std::pair<uint16_t, uint16_t>> ports;  // local port range, inclusive
  std::optional<std::pair<uint32_t, uint8_t>> address;  // local IPv4 network and prefix length
  Protocol protocol = Protocol::kAny;
  int line = 0;
  bool operator==(const FlowRule&) const = default;
};

struct ApplicationSpec {
  std::string name;
  std::vector<ProcessRule> processes;
  std::vector<FlowRule> flows;
  int line = 0;
  bool operator==(const ApplicationSpec&) const = default;
};

enum class CpuKind { kPoolPercent, kServerPercent, kCores };

struct CpuShare {
  CpuKind kind = CpuKind::kPoolPercent;
  double amount = 0;           // percent, or cores
  std::optional<double> cap;   // same unit
  int line = 0;
  bool operator==(const CpuShare&) const = default;
};

struct BandwidthShare {
  std::string pipe;
  Direction direction = Direction::kOut;
  bool percent = false;       // amount is a percentage of the pipe, else bytes/s
  double amount = 0;
  std::optional<double> cap;  // same unit
  int line = 0;
  bool operator==(const BandwidthShare&) const = default;
};

// What a schedule window or a failure adjustment puts in place of the
// policy's own shares (a missing part keeps the policy's).
struct ShareOverride {
  std::optional<CpuShare> cpu;
  std::vector<BandwidthShare> bandwidth;
  bool operator==(const ShareOverride&) const = default;
};

enum Weekday : uint8_t { kMon = 1, kTue = 2, kWed = 4, kThu = 8, kFri = 16, kSat = 32, kSun = 64 };

struct Window {
  uint8_t days = 0;        // Weekday bits
  int from_minute = 0;     // 0..1439, local time
  int to_minute = 1440;    // 1..1440, after from_minute
  ShareOverride shares;
  int line = 0;
  bool operator==(const Window&) const = default;
};

struct Schedule {
  std::string timezone = "UTC";  // an IANA zone name
  std::vector<Window> windows;
  int line = 0;
  bool operator==(const Schedule&) const = default;
};

struct FailureAdjustment {
  int min_failed = 1;  // applies while at least this many nodes are failed
  ShareOverride shares;
  int line = 0;
  bool operator==(const FailureAdjustment&) const = default;
};

struct PolicySpec {
  std::string application;
  int priority = 1;  // 1 the most important
  std::optional<CpuShare> cpu;
  std::vector<BandwidthShare> bandwidth;
  std::optional<Schedule> schedule;
  std::optional<FailureAdjustment> on_failure;
  int line = 0;
  bool operator==(const PolicySpec&) const = default;
};

// kEvent: any event type of core/event_types.h, named in event_type.
enum class TriggerEvent { kTimer, kInsufficientResources, kNodeFailed, kUsageAbove, kEvent };

struct TriggerAction {
  enum class Kind { kSetCpu, kRun, kLog } kind = Kind::kLog;
  std::string application;   // kSetCpu
  CpuShare cpu;              // kSetCpu
  std::string script;        // kRun: absolute path
  int64_t timeout_ms = 10'000;  // kRun
  std::string level = "info";   // kLog: info, warning, error
  std::string message;          // kLog
  int line = 0;
  bool operator==(const TriggerAction&) const = default;
};

struct TriggerSpec {
  std::string name;
  TriggerEvent event = TriggerEvent::kTimer;
  std::string event_type;           // kEvent: e.g. "app.squeezed"
  int64_t every_ms = 0;             // kTimer: how often the condition is checked
  std::string application;          // kUsageAbove; optional for kInsufficientResources and kEvent (the subject)
  double threshold_percent = 0;     // kUsageAbove: of the application's allocation
  int64_t rate_limit_ms = 60'000;   // at most one firing per this interval
  std::vector<TriggerAction> actions;
  int line = 0;
  bool operator==(const TriggerSpec&) const = default;
};

struct PolicyDocument {
  Mode mode = Mode::kMonitor;
  std::vector<PipeSpec> pipes;
  std::vector<ApplicationSpec> applications;
  std::vector<PolicySpec> policies;
  std::vector<TriggerSpec> triggers;

  const PipeSpec* FindPipe(const std::string& name) const;
  const ApplicationSpec* FindApplication(const std::string& name) const;
  const PolicySpec* FindPolicy(const std::string& application) const;
  bool operator==(const PolicyDocument&) const = default;
};

// Sets every `line` to 0, so documents compare by content alone.
void ClearSourceLines(PolicyDocument& doc);

}  // namespace shoal::policy
