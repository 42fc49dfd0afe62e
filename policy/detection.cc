#include "policy/detection.h"

#include <charconv>
#include <unordered_map>

#include <grp.h>
#include <pwd.h>

#include "policy/glob.h"

namespace shoal::policy {
namespace {

std::optional<uint32_t> Numeric(const std::string& s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
  return std::nullopt;
}

std::string_view Argv0Base(std::string_view cmdline) {
  std::string_view argv0 = cmdline.substr(0, cmdline.find(' '));
  size_t slash = argv0.rfind('/');
  return slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
}

// The kernel keeps 15 characters of a process name.
bool NameMatches(const std::string& rule, const ProcessInfo& p) {
  if (rule == p.name) return true;
  if (rule.size() > 15 && p.name.size() == 15 && rule.compare(0, 15, p.name) == 0) return true;
  return !p.cmdline.empty() && Argv0Base(p.cmdline) == rule;
}

bool FlowMatches(const FlowRule& f, const SocketInfo& s) {
  if (f.protocol != Protocol::kAny && f.protocol != s.protocol) return false;
  if (f.ports && (s.local_port < f.ports->first || s.local_port > f.ports->second)) return false;
  if (f.address) {
    const uint32_t mask = PrefixMask(f.address->second);
    // A socket bound to every address (0.0.0.0) also serves the network.
    if (s.local_ip != 0 && (s.local_ip & mask) != (f.address->first & mask)) return false;
  }
  return true;
}

}  // namespace

bool Detector::MatchesAnyFlow(const SocketInfo& s) const {
  for (const ApplicationSpec& app : document_.applications) {
    for (const FlowRule& f : app.flows) {
      if (FlowMatches(f, s)) return true;
    }
  }
  return false;
}

IdResolver IdResolver::System() {
  IdResolver r;
  r.uid = [](const std::string& name) -> std::optional<uint32_t> {
    struct passwd pw, *out = nullptr;
    char buf[4096];
    if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &out) != 0 || out == nullptr) return std::nullopt;
    return out->pw_uid;
  };
  r.gid = [](const std::string& name) -> std::optional<uint32_t> {
    struct group gr, *out = nullptr;
    char buf[4096];
    if (getgrnam_r(name.c_str(), &gr, buf, sizeof buf, &out) != 0 || out == nullptr) return std::nullopt;
    return out->gr_gid;
  };
  return r;
}

Detector::Detector(PolicyDocument document, IdResolver resolver)
    : document_(std::move(document)), resolver_(std::move(resolver)) {
  Compile();
}

void Detector::SetDocument(PolicyDocument document) {
  document_ = std::move(document);
  memory_.clear();
  Compile();
}

void Detector::Compile() {
  rules_.clear();
  for (size_t a = 0; a < document_.applications.size(); ++a) {
    for (const ProcessRule& r : document_.applications[a].processes) {
      CompiledRule c{&r, a, std::nullopt, std::nullopt, false};
      if (r.user) {
        c.uid = Numeric(*r.user);
        if (!c.uid && resolver_.uid) c.uid = resolver_.uid(*r.user);
        c.unresolvable = c.unresolvable || !c.uid;
      }
      if (r.group) {
        c.gid = Numeric(*r.group);
        if (!c.gid && resolver_.gid) c.gid = resolver_.gid(*r.group);
        c.unresolvable = c.unresolvable || !c.gid;
      }
      rules_.push_back(c);
    }
  }
}

bool Detector::Matches(const CompiledRule& c, const ProcessInfo& p, const std::string* parent_name) const {
  if (c.unresolvable) return false;
  const ProcessRule& r = *c.rule;
  if (r.name && !NameMatches(*r.name, p)) return false;
  if (c.uid && *c.uid != p.uid) return false;
  if (c.gid && *c.gid != p.gid) return false;
  if (r.parent && (parent_name == nullptr || *parent_name != *r.parent)) return false;
  if (r.cmdline && !GlobMatch(*r.cmdline, p.cmdline)) return false;
  return true;
}

Detection Detector::Classify(const ProcSnapshot& snapshot) {
  const auto& procs = snapshot.processes;
  const size_t n = procs.size();
  std::unordered_map<int, size_t> by_pid;
  by_pid.reserve(n);
  for (size_t i = 0; i < n; ++i) by_pid.emplace(procs[i].pid, i);

  std::vector<std::optional<size_t>> app(n);
  std::vector<bool> children(n, false);
  for (size_t i = 0; i < n; ++i) {
    const ProcessInfo& p = procs[i];
    if (auto m = memory_.find({p.pid, p.start_time}); m != memory_.end()) {
      app[i] = m->second.app;
      children[i] = m->second.children;
      continue;
    }
    auto parent = by_pid.find(p.ppid);
    const std::string* parent_name = parent == by_pid.end() ? nullptr : &procs[parent->second].name;
    for (const CompiledRule& r : rules_) {
      if (Matches(r, p, parent_name)) {
        app[i] = r.app;
        children[i] = r.rule->children;
        break;
      }
    }
  }

  Detection out;
  out.sockets.resize(snapshot.sockets.size());
  for (size_t k = 0; k < snapshot.sockets.size(); ++k) {
    const SocketInfo& s = snapshot.sockets[k];
    for (size_t a = 0; a < document_.applications.size() && !out.sockets[k]; ++a) {
      for (const FlowRule& f : document_.applications[a].flows) {
        if (FlowMatches(f, s)) {
          out.sockets[k] = a;
          break;
        }
      }
    }
    if (out.sockets[k] && s.pid != 0) {
      auto owner = by_pid.find(s.pid);
      if (owner != by_pid.end() && !app[owner->second]) app[owner->second] = out.sockets[k];
    }
  }

  // Descendants of processes that bring their children. state: 0 unknown,
  // 1 resolved (app may still be empty), 2 on the current walk (a cycle in
  // a torn snapshot).
  std::vector<uint8_t> state(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (app[i]) state[i] = 1;
  }
  std::vector<size_t> walk;
  for (size_t i = 0; i < n; ++i) {
    if (state[i] != 0) continue;
    walk.clear();
    size_t cur = i;
    std::optional<size_t> found;
    bool inherit_children = false;
    while (true) {
      if (state[cur] == 1) {
        if (app[cur] && children[cur]) {
          found = app[cur];
          inherit_children = true;
        }
        break;
      }
      if (state[cur] == 2) break;
      state[cur] = 2;
      walk.push_back(cur);
      auto parent = by_pid.find(procs[cur].ppid);
      if (parent == by_pid.end() || parent->second == cur) break;
      cur = parent->second;
    }
    for (size_t w : walk) {
      state[w] = 1;
      app[w] = found;
      children[w] = inherit_children;
    }
  }

  std::map<std::pair<int, uint64_t>, Remembered> memory;
  for (size_t i = 0; i < n; ++i) {
    if (!app[i]) continue;
    out.processes.emplace(procs[i].pid, *app[i]);
    memory.emplace(std::make_pair(procs[i].pid, procs[i].start_time), Remembered{*app[i], children[i]});
  }
  memory_ = std::move(memory);
  return out;
}

}  // namespace shoal::policy
