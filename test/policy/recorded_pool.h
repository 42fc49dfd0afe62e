// A recorded pool for replay and suggestion tests: periods of synthetic
// demand, each recorded with the booking and allocation the planner gave
// under a policy document at that period's time, as the daemons record them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "policy/parser.h"
#include "policy/replay.h"

namespace shoal::testing {

inline policy::PolicyDocument ParseDoc(const std::string& xml) {
  auto parsed = policy::ParsePolicy(xml);
  std::string errors;
  for (const auto& e : parsed.errors) errors += policy::FormatPolicyError(e, "test") + "\n";
  INFO(xml << errors);
  REQUIRE(parsed.ok());
  return parsed.document;
}

// demand(app, node index, period index) in millicores.
using DemandFn = std::function<double(const std::string& app, size_t node, size_t period)>;

// `nodes` nodes of `capacity_m` each, `apps` on every node, `count` periods
// a minute apart from `start_ms`, recorded under `recorded_under`.
inline std::vector<policy::RecordedPeriod> RecordPool(size_t nodes, double capacity_m,
                                                      const std::vector<std::string>& apps, size_t count,
                                                      int64_t start_ms, const DemandFn& demand,
                                                      const policy::PolicyDocument& recorded_under) {
  auto replay = policy::Replay::Create(recorded_under);
  REQUIRE(replay.ok());
  std::vector<policy::RecordedPeriod> out;
  for (size_t t = 0; t < count; ++t) {
    policy::RecordedPeriod p;
    p.time_ms = start_ms + static_cast<int64_t>(t) * 60'000;
    for (size_t n = 0; n < nodes; ++n) {
      const std::string name = "node-" + std::to_string(n);
      const NodeId id = NodeId::FromName(name);
      p.nodes.push_back({id, name, capacity_m});
      for (const auto& app : apps) {
        const double d = demand(app, n, t);
        if (d > 0) p.instances.push_back({app, id, d, d, 0, 0});
      }
    }
    const policy::CpuPlan plan = replay->Plan(p);
    for (auto& i : p.instances) {
      for (const auto& ip : plan.instances) {
        if (plan.apps[ip.app].name == i.app && plan.nodes[ip.node].id == i.node) {
          i.booking = ip.booking;
          i.allocation = ip.allocation;
        }
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace shoal::testing
