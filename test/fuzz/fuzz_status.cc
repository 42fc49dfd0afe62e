// Fuzzes the node status every daemon receives from its peers on the node
// channel: any bytes must be refused or decode to a status that encodes
// and decodes again to the same instances, and planning over it (with a
// second, well-formed node and policies naming its applications) must not
// crash. Also feeds the bytes to the tokens-file parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/engine/node_status.h"
#include "daemon/engine/pool_view.h"
#include "daemon/control/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  using namespace shoal::daemon;
  using namespace shoal::engine;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)Tokens::Parse(bytes, "fuzz");
  auto facts = DecodeNodeStatus(bytes);
  if (!facts.ok()) return 0;
  auto again = DecodeNodeStatus(EncodeNodeStatus(*facts));
  if (!again.ok() || again->name != facts->name ||
      again->instances.size() + again->instances_left_out != facts->instances.size() + facts->instances_left_out) {
    std::abort();
  }
  policy::PlanInput in;
  AddToPlanInput(NodeId{1}, *facts, in);
  NodeStatus other;
  other.name = "other";
  other.capacity_m = 4000;
  other.instances = {{"web", 500, 1500, 0, 1}};
  AddToPlanInput(NodeId{2}, other, in);
  int priority = 1;
  for (const auto& i : facts->instances) {
    in.policies.push_back({i.app, policy::CpuShareKind::kPoolPercent, 10, std::nullopt, priority++ % 3 + 1});
  }
  auto plan = policy::PlanCpu(in);
  double allocated = 0;
  for (const auto& n : plan.nodes) allocated += static_cast<double>(n.reserve);
  for (const auto& i : plan.instances) allocated += static_cast<double>(i.millicores);
  if (std::abs(allocated - plan.pool_capacity) > 1.0 * static_cast<double>(plan.nodes.size())) std::abort();
  return 0;
}
