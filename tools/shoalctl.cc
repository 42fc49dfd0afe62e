// shoalctl: the operator's command line. Offline commands (allocate, plan)
// work on documents and need no daemon.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "policy/parser.h"
#include "policy/plan_explain.h"
#include "tools/ctl/allocate_cmd.h"
#include "tools/ctl/node_client.h"
#include "tools/ctl/plan_cmd.h"

namespace {

using namespace shoal;
using namespace shoal::ctl;

// Exit codes: 0 success, 1 the request failed (bad input, unknown name),
// 2 the command line itself is wrong.
constexpr int kFailed = 1;
constexpr int kUsage = 2;

int Fail(const std::string& message) {
  std::cerr << "shoalctl: " << message << "\n";
  return kFailed;
}

// How a FILE argument is named in messages.
std::string SourceName(const std::string& path) { return path == "-" ? "standard input" : path; }

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
    auto text = policy::ExplainApp(plan.cpu, explain);
    if (!text) return Fail(text.error().message);
    std::cout << *text;
    return 0;
  }
  std::cout << (json ? PlanJson(plan) : PlanText(plan));
  return 0;
}

int RunPolicyValidate(const std::string& path) {
  auto text = ReadInputFile(path);
  if (!text) return Fail(text.error().message);
  const std::string source = SourceName(path);
  policy::ParsedPolicy parsed = policy::ParsePolicy(*text);
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << policy::FormatPolicyError(e, source) << "\n";
    std::cerr << fmt::format("shoalctl: {}: {} error(s); nothing would be applied\n", source, parsed.errors.size());
    return kFailed;
  }
  const auto& d = parsed.document;
  std::cout << fmt::format("{}: valid: mode {}, {} pipe(s), {} application(s), {} policy(ies), {} trigger(s)\n",
                           source, d.mode == policy::Mode::kEnforce ? "enforce" : "monitor", d.pipes.size(),
                           d.applications.size(), d.policies.size(), d.triggers.size());
  return 0;
}

int RunNodeCommand(const NodeTarget& target, gossip::StreamService service, std::string request) {
  auto reply = CallNode(target, service, std::move(request));
  if (!reply.ok()) {
    std::cerr << "shoalctl: " << reply.error().message << "\n";
    return kFailed;
  }
  std::cout << *reply;
  if (!reply->empty() && reply->back() != '\n') std::cout << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoalctl: ask and steer a Shoal pool.\n\n"
               "Offline commands check the allocation arithmetic on a document of your own,\n"
               "without a running daemon.",
               "shoalctl"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  shoalctl allocate shares.json            divide a capacity by priority levels\n"
      "  echo '{\"capacity\":10,\"consumers\":[{\"name\":\"a\",\"levels\":[4]}]}' | shoalctl allocate -\n"
      "  shoalctl plan view.json                  the CPU plan and pipe credits for a view\n"
      "  shoalctl plan view.json --explain web    why 'web' gets what it gets\n"
      "  shoalctl policy validate pool.xml        check a policy document before pushing it\n"
      "  shoalctl policy push pool.xml --node 10.0.0.5:7946   run it on the whole pool\n"
      "  shoalctl policy versions                 which version each node runs\n"
      "Exit status: 0 success, 1 the request failed, 2 bad command line.\n"
      "Document formats: README.md, sections \"shoalctl allocate\" and \"shoalctl plan\".\n");

  std::string allocate_file;
  bool allocate_json = false;
  auto* allocate = app.add_subcommand(
      "allocate",
      "Run the priority fair-share allocator on a JSON document: a capacity and consumers with\n"
      "cumulative amounts per priority level (level 1 first). Prints NAME AMOUNT per consumer\n"
      "in input order, then the reserve.");
  allocate->add_option("FILE", allocate_file, "JSON document, or - for standard input")->required();
  allocate->add_flag("--json", allocate_json,
                     "print {\"allocations\": {NAME: AMOUNT}, \"reserve\": AMOUNT} instead");

  std::string plan_file, explain;
  bool plan_json = false;
  auto* plan = app.add_subcommand(
      "plan",
      "Plan a pool from a JSON view (nodes, instances) and policies, as every daemon would:\n"
      "entitlements, bookings, per-node allocations with cgroup weight and quota, and each\n"
      "node's credit on every pipe. CPU amounts are millicores.");
  plan->add_option("FILE", plan_file, "JSON document, or - for standard input")->required();
  plan->add_flag("--json", plan_json, "print the whole plan as JSON");
  plan->add_option("--explain", explain, "explain step by step what application APP gets and why")
      ->option_text("APP");

  std::string policy_file;
  auto* policy = app.add_subcommand("policy", "Policy documents (XML; see examples/policies and policy/shoal-policy.xsd).");
  policy->require_subcommand(1);
  auto* validate = policy->add_subcommand(
      "validate",
      "Check a policy document without applying it: structure, values, references, overlapping\n"
      "rules and windows, bookings that cannot fit. Prints every error with line, column and element.");
  validate->add_option("FILE", policy_file, "XML document, or - for standard input")->required();

  // Commands to a running node.
  std::string node_text = "127.0.0.1:7946";
  NodeTarget target;
  int timeout_ms = 5000;
  auto add_node_options = [&](CLI::App* c) {
    c->add_option("--node", node_text, "the shoald to ask, ADDRESS:PORT (its gossip address)")->capture_default_str();
    c->add_option("--key-file", target.key_file, "the pool key file (holders of the key may push)")
        ->capture_default_str();
    c->add_option("--timeout-ms", timeout_ms, "give up after this long")->capture_default_str();
  };
  std::string push_file;
  auto* push = policy->add_subcommand(
      "push",
      "Send a policy document to a node: it validates it (any error refuses the whole document),\n"
      "stamps a version and activates it; every node runs it within about a second.");
  push->add_option("FILE", push_file, "XML document, or - for standard input")->required();
  add_node_options(push);
  auto* show = policy->add_subcommand("show", "Print the version and document a node runs.");
  add_node_options(show);
  auto* versions = policy->add_subcommand("versions", "Which policy version each node of the pool runs.");
  add_node_options(versions);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  if (allocate->parsed()) return RunAllocateCommand(allocate_file, allocate_json);
  if (plan->parsed()) return RunPlanCommand(plan_file, plan_json, explain);
  if (validate->parsed()) return RunPolicyValidate(policy_file);
  if (push->parsed() || show->parsed() || versions->parsed()) {
    auto node = Endpoint::Parse(node_text, 7946);
    if (!node.ok()) return Fail("--node: " + node.error().message);
    target.node = *node;
    target.timeout = std::chrono::milliseconds(timeout_ms);
    if (show->parsed()) return RunNodeCommand(target, gossip::StreamService::kPolicyShow, "");
    if (versions->parsed()) return RunNodeCommand(target, gossip::StreamService::kPolicyVersions, "");
    auto text = ReadInputFile(push_file);
    if (!text) return Fail(text.error().message);
    return RunNodeCommand(target, gossip::StreamService::kPolicyPush, std::move(*text));
  }
  return kUsage;
}
