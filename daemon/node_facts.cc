#include "daemon/node_facts.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "node_facts.pb.h"

namespace shoal::daemon {

std::string EncodeNodeFacts(const NodeFacts& f) {
  wire::NodeFacts w;
  w.set_name(f.name);
  w.set_cpus(f.cpus);
  w.set_load_milli(f.load_milli);
  w.set_mem_total_kb(f.mem_total_kb);
  w.set_mem_available_kb(f.mem_available_kb);
  return w.SerializeAsString();
}

Result<NodeFacts> DecodeNodeFacts(std::string_view bytes) {
  wire::NodeFacts w;
  if (bytes.size() > kNodeFactsMaxBytes ||
      !w.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return MakeError("malformed node facts ({} bytes)", bytes.size());
  }
  if (w.name().empty() || w.name().size() > 64) return MakeError("node facts without a valid name");
  return NodeFacts{w.name(), w.cpus(), w.load_milli(), w.mem_total_kb(), w.mem_available_kb()};
}

Result<NodeFacts> ReadNodeFacts(const std::string& name, const std::string& proc) {
  NodeFacts f;
  f.name = name;
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
