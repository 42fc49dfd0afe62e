#include "daemon/sampler.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "daemon/host_facts.h"
#include "daemon/sys_file.h"

namespace shoal::daemon {

Sampler::Sampler(std::string proc_root, policy::IdResolver resolver)
    : proc_(proc_root), scanner_(std::move(proc_root)), detector_(policy::PolicyDocument{}, std::move(resolver)) {}

void Sampler::SetDocument(const policy::PolicyDocument& doc) {
  detector_.SetDocument(doc);
  // Sockets and their owners are read only when flow rules or pipes (whose
  // classifiers take each application's ports) need them.
  // Owners are looked for only where they matter: sockets a flow rule
  // matches (their owners may join the application) and the applications'
  // own processes (their ports), not every process on the server.
  sockets_ = !doc.pipes.empty();
  for (const auto& app : doc.applications) sockets_ = sockets_ || !app.flows.empty();
  scanner_ = ProcScanner(proc_, ProcReadOptions{sockets_, false});
  group_ns_.clear();
}

Sampler::Totals Sampler::ReadThreads(int pid, std::map<int, ThreadTimes>& seen) {
  Totals t;
  const std::string dir = proc_ + "/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return t;
  std::string text;
  while (const dirent* e = ::readdir(d)) {
    int tid = 0;
    const char* end = e->d_name + std::char_traits<char>::length(e->d_name);
    if (std::from_chars(e->d_name, end, tid).ptr != end || tid <= 0) continue;
    if (!ReadSmall(dir + "/" + e->d_name + "/schedstat", text, 256)) continue;
    ThreadTimes now;
    const char* p = text.data();
    const char* stop = p + text.size();
    auto r = std::from_chars(p, stop, now.run_ns);
    if (r.ec != std::errc() || r.ptr == stop) continue;
    if (std::from_chars(r.ptr + 1, stop, now.wait_ns).ec != std::errc()) continue;
    auto before = threads_.find(tid);
    if (before != threads_.end() && now.run_ns >= before->second.run_ns && now.wait_ns >= before->second.wait_ns) {
      t.run_ns += now.run_ns - before->second.run_ns;
      t.wait_ns += now.wait_ns - before->second.wait_ns;
    }
    seen[tid] = now;
  }
  ::closedir(d);
  return t;
}

Result<std::vector<LocalInstance>> Sampler::Sample(TimePoint now, bool full) {
  if (detector_.document().applications.empty()) {
    // Nothing to detect: no scan (it is the sampler's main cost).
    threads_.clear();
    group_ns_.clear();
    last_ = now;
    return std::vector<LocalInstance>{};
  }
  auto snapshot = scanner_.Scan(full);
  if (!snapshot.ok()) return snapshot.error();
  if (sockets_) {
    scanner_.FindOwners(*snapshot, [this](const policy::SocketInfo& s) { return detector_.MatchesAnyFlow(s); });
  }
  const auto detection = detector_.Classify(*snapshot);
  if (sockets_) {
    std::vector<int> pids;
    pids.reserve(detection.processes.size());
    for (const auto& [pid, app] : detection.processes) pids.push_back(pid);
    scanner_.OwnersOf(*snapshot, pids);
  }
  const auto& apps = detector_.document().applications;
  std::map<size_t, LocalInstance> by_app;
  for (const auto& [pid, app] : detection.processes) by_app[app].pids.push_back(pid);
  for (const policy::SocketInfo& s : snapshot->sockets) {
    auto owner = detection.processes.find(s.pid);
    if (s.pid != 0 && owner != detection.processes.end()) {
      by_app[owner->second].ports.push_back({s.protocol, s.local_port});
    }
  }
  for (auto& [index, inst] : by_app) {
    std::sort(inst.ports.begin(), inst.ports.end());
    inst.ports.erase(std::unique(inst.ports.begin(), inst.ports.end()), inst.ports.end());
  }

  const double seconds =
      last_ ? std::chrono::duration<double>(now - *last_).count() : 0.0;
  std::map<int, ThreadTimes> seen;
  std::map<std::string, uint64_t> group_ns;
  std::vector<LocalInstance> out;
  const long page_kb = std::max(1L, ::sysconf(_SC_PAGESIZE) / 1024);
  std::string statm;
  for (auto& [index, inst] : by_app) {
    inst.app = apps[index].name;
    Totals totals;
    for (int pid : inst.pids) {
      const Totals t = ReadThreads(pid, seen);
      totals.run_ns += t.run_ns;
      totals.wait_ns += t.wait_ns;
      uint64_t size = 0, resident = 0;
      if (ReadSmall(proc_ + "/" + std::to_string(pid) + "/statm", statm, 256)) {
        auto r = std::from_chars(statm.data(), statm.data() + statm.size(), size);
        if (r.ec == std::errc() && r.ptr < statm.data() + statm.size()) {
          std::from_chars(r.ptr + 1, statm.data() + statm.size(), resident);
        }
      }
      inst.rss_kb += resident * static_cast<uint64_t>(page_kb);
    }
    double run = static_cast<double>(totals.run_ns);
    if (group_usage_) {
      if (auto g = group_usage_(inst.app)) {
        auto before = group_ns_.find(inst.app);
        if (before != group_ns_.end() && *g >= before->second) run = static_cast<double>(*g - before->second);
        group_ns[inst.app] = *g;
      }
    }
    if (seconds > 0) {
      inst.usage_m = run / seconds / 1e6;
      inst.demand_m = inst.usage_m + static_cast<double>(totals.wait_ns) / seconds / 1e6;
    }
    inst.processes = static_cast<uint32_t>(inst.pids.size());
    out.push_back(std::move(inst));
  }
  threads_ = std::move(seen);
  group_ns_ = std::move(group_ns);
  last_ = now;
  return out;
}

Result<engine::HostFacts> Sampler::Host() { return ReadHostFacts(proc_); }

}  // namespace shoal::daemon
