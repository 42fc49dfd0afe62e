#include "tools/ctl/cli.h"

#include <cstdlib>
#include <iostream>

#include "daemon/control/seal.h"
#include "policy/parser.h"
#include "tools/ctl/admin_sign.h"
#include "tools/ctl/json_input.h"
#include "tools/ctl/table.h"

namespace shoal::ctl {

int Fail(const std::string& message) {
  std::cerr << "shoalctl: " << message << "\n";
  return kFailed;
}

Result<policy::PolicyDocument> ReadPolicyDocument(const std::string& path) {
  auto text = ReadInputFile(path);
  if (!text) {
    Fail(text.error().message);
    return text.error();
  }
  const std::string source = SourceName(path);
  policy::ParsedPolicy parsed = policy::ParsePolicy(*text);
  if (parsed.ok()) return std::move(parsed.document);
  for (const auto& e : parsed.errors) std::cerr << policy::FormatPolicyError(e, source) << "\n";
  auto error = MakeError("{}: {} error(s); nothing would be applied", source, parsed.errors.size());
  Fail(error.message);
  return error;
}

Result<daemon::control::PolicyInfo> ShowPolicy(const PoolOptions& pool, uint32_t revision) {
  daemon::control::Request r;
  r.mutable_policy_show()->set_revision(revision);
  auto answer = Ask(pool, std::move(r), false);
  if (!answer.ok()) return answer.error();
  return answer->policy();
}

PoolOptions::PoolOptions() {
  target_.token_file = "/etc/shoal/tokens";
  if (const char* f = std::getenv("SHOAL_TOKEN_FILE"); f && *f) target_.token_file = f;
  if (const char* n = std::getenv("SHOAL_NODE"); n && *n) node_text_ = n;
  // Named by the user (a flag or the environment): it must be there.
  if (const char* k = std::getenv("SHOAL_ADMIN_KEY"); k && *k) admin_key_ = k, admin_key_named_ = true;
}

void PoolOptions::Add(CLI::App* c, bool with_output) {
  c->add_option("--node", node_text_,
                "the shoald to ask, ADDRESS:PORT of its control API (any node answers for the pool; default "
                "$SHOAL_NODE)")
      ->capture_default_str();
  c->add_option("--token", target_.token, "control API token (default: $SHOAL_TOKEN, else --token-file)");
  c->add_option("--token-file", target_.token_file,
                "file holding the token, or a tokens file (\"ROLE TOKEN\" lines; default $SHOAL_TOKEN_FILE)")
      ->capture_default_str();
  c->add_option("--timeout-ms", timeout_ms_, "give up after this long")->capture_default_str();
  c->add_flag("--sealed", target_.sealed,
              "seal the connection under the token (always done when --node is not a loopback address: the "
              "token never crosses the network)");
  if (with_output) AddOutput(c);
  c->add_flag("--no-headers", no_headers_, "leave out tables' header rows (for scripts)")
      ->each([](const std::string&) { SetTableHeaders(false); });
}

void PoolOptions::AddOutput(CLI::App* c) {
  c->add_option("-o,--output", output_,
                "table (the columns most read), wide (every column) or json (the control API's field names; "
                "numbers as numbers, times also in RFC 3339)")
      ->check(CLI::IsMember({"table", "wide", "json"}))
      ->capture_default_str();
  c->add_flag_callback("--json", [this] { output_ = "json"; }, "the same as -o json");
}

void PoolOptions::AddGlobal(CLI::App& app) {
  auto* g = app.add_option_group("pool options", "may also come before the subcommand");
  Add(g, true);
  AddAdminKey(g);
}

void PoolOptions::AddWatch(CLI::App* c) {
  c->add_flag("-w,--watch", watch_, "ask again every --interval seconds and redraw, until interrupted");
  c->add_option("--interval", interval_s_, "seconds between answers with --watch")->capture_default_str()
      ->check(CLI::Range(1, 3600));
}

void PoolOptions::AddAdminKey(CLI::App* c) {
  admin_key_options_.push_back(
      c->add_option("--admin-key", admin_key_,
                    "the admin's secret key that signs this action for every node (default $SHOAL_ADMIN_KEY, "
                    "else /etc/shoal/admin.key if it exists; made by shoald --generate-admin-key)"));
}

Result<ControlTarget> PoolOptions::Target() const {
  auto node = Endpoint::Parse(node_text_, 7947);
  if (!node.ok()) return MakeError("--node: {}", node.error().message);
  ControlTarget t = target_;
  t.node = *node;
  if (!daemon::PlainAllowedFrom(t.node)) t.sealed = true;
  t.timeout = std::chrono::milliseconds(timeout_ms_);
  return t;
}

BuildRequest Simple(void (*set)(daemon::control::Request&)) {
  return [set](int64_t) -> Result<daemon::control::Request> {
    daemon::control::Request r;
    set(r);
    return r;
  };
}

Result<daemon::control::Response> Ask(const PoolOptions& pool, daemon::control::Request request, bool admin) {
  auto target = pool.Target();
  if (!target.ok()) return target.error();
  target->want_admin = admin;
  if (auto s = pool.Sign(request, *target, WallClockMs()); !s.ok()) return s.error();
  return CallControl(*target, std::move(request));
}

Status PoolOptions::Sign(daemon::control::Request& request, const ControlTarget& target, int64_t now_ms) const {
  bool named = admin_key_named_;
  for (const auto* o : admin_key_options_) named = named || o->count() > 0;
  // Pushes and mode switches are signed when a key is named or the default
  // one exists; unsigned otherwise, for pools whose nodes have no admin keys
  // (deletions and archives are always signed).
  const bool sign_policies = named || AdminKeyGiven(admin_key_);
  return SignAdminRequest(request, target, admin_key_, sign_policies, now_ms);
}

}  // namespace shoal::ctl
