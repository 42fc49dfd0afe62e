// shoalctl's policy commands against a pool: push (or check with
// --dry-run), show, versions, history, diff and rollback. See cli.h.
#include <iostream>

#include "policy/parser.h"
#include "tools/ctl/cli.h"
#include "tools/ctl/json_input.h"
#include "tools/ctl/line_diff.h"
#include "tools/ctl/policy_text.h"

namespace shoal::ctl {
namespace {

using Request = daemon::control::Request;

Result<Request> PushRequest(const std::string& file, bool dry_run) {
  auto text = ReadInputFile(file);
  if (!text) return text.error();
  if (const size_t limit = policy::ParseOptions{}.max_bytes; text->size() > limit) {
    return MakeError("{} is {} bytes: a policy document is at most {} bytes; not sent", file, text->size(), limit);
  }
  Request r;
  r.mutable_policy_push()->set_text(std::move(*text));
  r.mutable_policy_push()->set_dry_run(dry_run);
  return r;
}

// "12" or "r12".
Result<uint32_t> RevisionArg(const std::string& text) {
  std::string digits = !text.empty() && (text[0] == 'r' || text[0] == 'R') ? text.substr(1) : text;
  uint32_t rev = 0;
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos ||
      (rev = static_cast<uint32_t>(std::stoul(digits))) == 0) {
    return MakeError("'{}' is not a revision: give its number as policy history shows it, e.g. r12", text);
  }
  return rev;
}

// A revision's text, pushed again as a new revision.
Result<Request> RollbackRequest(const PoolOptions& pool, const std::string& revision) {
  auto rev = RevisionArg(revision);
  if (!rev.ok()) return rev.error();
  auto old = ShowPolicy(pool, *rev);
  if (!old.ok()) return old.error();
  if (old->active()) return MakeError("r{} is the active revision: nothing to roll back", *rev);
  Request r;
  r.mutable_policy_push()->set_text(old->text());
  r.mutable_policy_push()->set_rollback_of(*rev);
  return r;
}

// The active document against FILE (or a kept revision), as diff -u prints it.
int RunDiff(const PoolOptions& pool, const std::string& file, const std::string& revision) {
  auto active = ShowPolicy(pool, 0);
  if (!active.ok()) return Fail(active.error().message);
  std::string other, label;
  if (!revision.empty()) {
    auto rev = RevisionArg(revision);
    if (!rev.ok()) return Fail(rev.error().message);
    auto old = ShowPolicy(pool, *rev);
    if (!old.ok()) return Fail(old.error().message);
    other = old->text(), label = StampText(old->stamp());
  } else {
    auto text = ReadInputFile(file);
    if (!text) return Fail(text.error().message);
    other = std::move(*text), label = file == "-" ? "(standard input)" : file;
  }
  const std::string diff = UnifiedDiff(active->text(), other, "active " + StampText(active->stamp()), label);
  std::cout << (diff.empty() ? "no difference from the active policy\n" : diff);
  return 0;
}

struct PolicyArgs {
  std::string file, revision;
  bool dry_run = false;
};

void AddPush(CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run, std::shared_ptr<PolicyArgs> a) {
  auto* push = policy.add_subcommand(
      "push",
      "Send a policy document to a node: it validates it (any error refuses the whole document),\n"
      "stamps the next revision and activates it; every node runs it within about a second. Needs\n"
      "an admin token. With --dry-run the node checks the draft against the live pool and says what\n"
      "would change (policies, pipes, applications, and the CPU plan now and under the draft),\n"
      "stamping nothing.");
  Examples(push,
           "  shoalctl policy push pool.xml\n"
           "  shoalctl policy push --dry-run pool.xml\n"
           "  generate-policy | shoalctl policy push -");
  push->add_option("FILE", a->file, "XML document, or - for standard input")->required();
  push->add_flag("--dry-run", a->dry_run, "validate against the live pool and show what would change; push nothing");
  pool->AddAdminKey(push);
  pool->Add(push, true);
  Sends(push, pool, run, true, [a](int64_t) { return PushRequest(a->file, a->dry_run); });
}

void AddShow(CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run, std::shared_ptr<PolicyArgs> a) {
  auto* show = policy.add_subcommand(
      "show",
      "Print the revision and document a node runs, or an earlier revision it kept.");
  Examples(show, "  shoalctl policy show\n  shoalctl policy show --rev r11 -o json | jq -r .text > r11.xml");
  show->add_option("--rev", a->revision, "an earlier revision (as policy history lists them), e.g. r11");
  pool->Add(show, true);
  Sends(show, pool, run, false, [a](int64_t) -> Result<Request> {
    Request r;
    r.mutable_policy_show();
    if (a->revision.empty()) return r;
    auto rev = RevisionArg(a->revision);
    if (!rev.ok()) return rev.error();
    r.mutable_policy_show()->set_revision(*rev);
    return r;
  });
}

void AddRevisions(CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run, std::shared_ptr<PolicyArgs> a) {
  auto* versions = policy.add_subcommand(
      "versions", "Which policy revision each node of the pool runs.");
  Examples(versions, "  shoalctl policy versions\n  shoalctl policy versions --json | jq '.nodes[].stamp.revision'");
  pool->Add(versions, true);
  Sends(versions, pool, run, false, Simple([](Request& r) { r.mutable_policy_versions(); }));
  auto* history = policy.add_subcommand(
      "history",
      "The policy revisions the node asked has run (the last 100), newest first: when each was\n"
      "stamped, on which node, its mode and size. A node that joined later lacks the earlier ones.");
  Examples(history, "  shoalctl policy history\n  shoalctl policy history -o json | jq '.revisions[0].stamp'");
  pool->Add(history, true);
  Sends(history, pool, run, false, Simple([](Request& r) { r.mutable_policy_history(); }));
  auto* rollback = policy.add_subcommand(
      "rollback",
      "Push an earlier revision's document again, as a new revision (the history keeps both).\n"
      "Needs an admin token; signed with the admin key like any push.");
  Examples(rollback, "  shoalctl policy history\n  shoalctl policy rollback r11");
  rollback->add_option("REV", a->revision, "the revision to return to, e.g. r11")->required();
  pool->AddAdminKey(rollback);
  pool->Add(rollback, true);
  Sends(rollback, pool, run, true, [pool, a](int64_t) { return RollbackRequest(*pool, a->revision); });
  auto* diff = policy.add_subcommand(
      "diff",
      "Compare the active document with a file (or a kept revision), line by line as diff -u does.\n"
      "To see what a draft would change in the pool's plan: policy push --dry-run.");
  Examples(diff, "  shoalctl policy diff pool.xml\n  shoalctl policy diff --rev r11");
  diff->add_option("FILE", a->file, "XML document, or - for standard input");
  diff->add_option("--rev", a->revision, "compare with this kept revision instead of a file");
  pool->Add(diff, false);
  diff->callback([pool, a, &run] {
    run = [pool, a] {
      if (a->file.empty() == a->revision.empty()) return Fail("policy diff: give a FILE or --rev, one of them");
      return RunDiff(*pool, a->file, a->revision);
    };
  });
}

}  // namespace

void AddPolicyCommands(CLI::App& policy, std::shared_ptr<PoolOptions> pool, Run& run) {
  auto a = std::make_shared<PolicyArgs>();
  AddPush(policy, pool, run, a);
  AddShow(policy, pool, run, a);
  AddRevisions(policy, pool, run, a);
}

}  // namespace shoal::ctl
