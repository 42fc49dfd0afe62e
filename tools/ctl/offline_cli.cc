// shoalctl's offline commands: allocate, plan, policy validate. They work
// on documents of the operator's own and need no daemon. See cli.h.
#include <iostream>

#include "policy/parser.h"
#include "tools/ctl/allocate_cmd.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/json_input.h"
#include "tools/ctl/plan_cmd.h"

namespace shoal::ctl {
namespace {

// Reads a JSON document and turns it into T with `read`; errors name the source.
template <typename T>
Result<T> LoadDocument(const std::string& path, Result<T> (*read)(const Json&)) {
  auto text = ReadInputFile(path);
  if (!text) return text.error();
  auto doc = ParseJsonText(*text, SourceName(path));
  if (!doc) return doc.error();
  auto value = read(*doc);
  if (!value) return MakeError("{}: {}", SourceName(path), value.error().message);
  return value;
}

int RunAllocateCommand(const std::string& path, bool json) {
  auto input = LoadDocument(path, &ReadAllocateInput);
  if (!input) return Fail(input.error().message);
  AllocateOutput out = RunAllocate(*input);
  std::cout << (json ? AllocateJson(out) : AllocateText(out));
  return 0;
}

int RunPlanCommand(const std::string& path, bool json, const std::string& explain) {
  auto input = LoadDocument(path, &ReadPlanDocument);
  if (!input) return Fail(input.error().message);
  PlanResult plan = RunPlan(*input);
  if (!explain.empty()) {
    auto text = ExplainPlan(plan, explain);
    if (!text) return Fail(text.error().message);
    std::cout << *text;
    return 0;
  }
  std::cout << (json ? PlanJson(plan) : PlanText(plan));
  return 0;
}

int RunPolicyValidate(const std::string& path) {
  auto parsed = ReadPolicyDocument(path);
  if (!parsed.ok()) return kFailed;
  const auto& d = *parsed;
  std::cout << fmt::format("{}: valid: mode {}, {} pipe(s), {} application(s), {} policy(ies), {} trigger(s)\n",
                           SourceName(path), d.mode == policy::Mode::kEnforce ? "enforce" : "monitor", d.pipes.size(),
                           d.applications.size(), d.policies.size(), d.triggers.size());
  return 0;
}

struct OfflineOptions {
  std::string file, explain;
};

}  // namespace

CLI::App* AddOfflineCommands(CLI::App& app, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto o = std::make_shared<OfflineOptions>();
  auto* allocate = app.add_subcommand(
      "allocate",
      "Run the priority fair-share allocator on a JSON document: a capacity and consumers with\n"
      "cumulative amounts per priority level (level 1 first). Prints NAME AMOUNT per consumer\n"
      "in input order, then the reserve (-o json: {\"allocations\": {NAME: AMOUNT}, \"reserve\": AMOUNT}).");
  allocate->add_option("FILE", o->file, "JSON document, or - for standard input")->required();
  pool->AddOutput(allocate);
  Examples(allocate, "  shoalctl allocate shares.json\n"
                     "  echo '{\"capacity\":10,\"consumers\":[{\"name\":\"a\",\"levels\":[4]}]}' | shoalctl allocate -");
  allocate->callback([o, pool, &run] { run = [o, pool] { return RunAllocateCommand(o->file, pool->json()); }; });

  auto* plan = app.add_subcommand(
      "plan",
      "Plan a pool from a JSON view (nodes, instances) and policies, as every daemon would:\n"
      "entitlements, bookings, per-node allocations with cgroup weight and quota, and each\n"
      "node's credit on every pipe. CPU amounts are millicores. -o json: the whole plan.");
  plan->add_option("FILE", o->file, "JSON document, or - for standard input")->required();
  pool->AddOutput(plan);
  plan->add_option("--explain", o->explain,
                   "explain step by step what NAME gets and why: an application's CPU share and its\n"
                   "credit on each pipe it uses, or a pipe's division among the nodes")
      ->option_text("NAME");
  Examples(plan, "  shoalctl plan view.json\n  shoalctl plan view.json --explain web\n  shoalctl plan view.json -o json");
  plan->callback([o, pool, &run] { run = [o, pool] { return RunPlanCommand(o->file, pool->json(), o->explain); }; });

  auto* policy = app.add_subcommand("policy", "Policy documents (XML; see examples/policies and policy/shoal-policy.xsd).");
  policy->require_subcommand(1);
  auto* validate = policy->add_subcommand(
      "validate",
      "Check a policy document without applying it: structure, values, references, overlapping\n"
      "rules and windows, bookings that cannot fit. Prints every error with line, column and element.");
  validate->add_option("FILE", o->file, "XML document, or - for standard input")->required();
  Examples(validate, "  shoalctl policy validate pool.xml && shoalctl policy push pool.xml");
  validate->callback([o, &run] { run = [o] { return RunPolicyValidate(o->file); }; });
  return policy;
}

}  // namespace shoal::ctl
