// Application detection: which application every process and every socket
// (flow) of this node belongs to, from a snapshot of /proc and the socket
// table and the document's <process> and <flow> rules.
//
//   - A process belongs to the first application (in document order) with a
//     process rule it matches: every field the rule gives must match (name:
//     the kernel's process name, or the base name of argv[0]; cmdline: the
//     glob over the arguments joined by spaces; user and group: the
//     effective ids, by name or number; parent: the parent's process name).
//   - A socket belongs to the first application with a flow rule it matches
//     (local port range, local network, protocol); an otherwise unassigned
//     process that owns it joins that application.
//   - A process matched by a rule with children="true" brings its
//     descendants along, unless they match a rule of their own.
//   - Stable from one scan to the next: a process keeps the application it
//     was given (identified by pid and start time, so a reused pid is a new
//     process) while the document stays the same, even if it renames itself.
// Plain values in, plain values out; the Detector's memory is the only
// state. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/model.h"

namespace shoal::policy {

struct ProcessInfo {
  int pid = 0;
  int ppid = 0;
  std::string name;     // the kernel's name (comm), at most 15 characters
  std::string cmdline;  // arguments joined by single spaces; empty for kernel threads
  uint32_t uid = 0;     // effective
  uint32_t gid = 0;     // effective
  uint64_t start_time = 0;  // clock ticks after boot: with pid, identifies a process
  uint64_t cpu_ticks = 0;   // user + system time
  uint64_t rss_pages = 0;
};

struct SocketInfo {
  Protocol protocol = Protocol::kTcp;
  uint32_t local_ip = 0;  // host byte order
  uint16_t local_port = 0;
  uint64_t inode = 0;
  int pid = 0;  // owner, 0 if unknown
};

struct ProcSnapshot {
  std::vector<ProcessInfo> processes;
  std::vector<SocketInfo> sockets;
};

// Resolves user and group names of rules to ids (numbers need no lookup).
struct IdResolver {
  std::function<std::optional<uint32_t>(const std::string&)> uid;
  std::function<std::optional<uint32_t>(const std::string&)> gid;
  // The system's passwd and group databases.
  static IdResolver System();
};

struct Detection {
  // pid -> index into the document's applications, for assigned processes.
  std::map<int, size_t> processes;
  // per socket (same order as the snapshot): application index, or nullopt.
  std::vector<std::optional<size_t>> sockets;
};

class Detector {
 public:
  Detector(PolicyDocument document, IdResolver resolver);
  // A new document: earlier assignments are forgotten.
  void SetDocument(PolicyDocument document);

  Detection Classify(const ProcSnapshot& snapshot);
  const PolicyDocument& document() const { return document_; }
  // A flow rule of some application matches the socket: its owner may be
  // pulled into that application (see above), so Classify needs it.
  bool MatchesAnyFlow(const SocketInfo& s) const;

 private:
  struct CompiledRule {
    const ProcessRule* rule;
    size_t app;
    std::optional<uint32_t> uid, gid;
    bool unresolvable = false;  // a user or group that does not exist matches nothing
  };
  void Compile();
  bool Matches(const CompiledRule& r, const ProcessInfo& p, const std::string* parent_name) const;

  PolicyDocument document_;
  IdResolver resolver_;
  std::vector<CompiledRule> rules_;
  // (pid, start time) -> application, from the previous scan.
  struct Remembered {
    size_t app;
    bool children;  // its descendants come along
  };
  std::map<std::pair<int, uint64_t>, Remembered> memory_;
};

}  // namespace shoal::policy
