#include "daemon/host_facts.h"

#include <algorithm>
#include <fstream>
#include <thread>

namespace shoal::daemon {

Result<engine::HostFacts> ReadHostFacts(const std::string& proc) {
  engine::HostFacts f;
  f.cpus = std::max(1u, std::thread::hardware_concurrency());
  std::ifstream load(proc + "/loadavg");
  double load1 = 0;
  if (!(load >> load1)) return MakeError("cannot read {}/loadavg", proc);
  f.load_milli = static_cast<uint32_t>(load1 * 1000);
  std::ifstream mem(proc + "/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (mem >> key >> value) {
    if (key == "MemTotal:") f.mem_total_kb = value;
    if (key == "MemAvailable:") f.mem_available_kb = value;
    std::getline(mem, unit);
  }
  if (f.mem_total_kb == 0) return MakeError("cannot read MemTotal from {}/meminfo", proc);
  return f;
}

}  // namespace shoal::daemon
