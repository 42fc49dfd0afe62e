// The control API's policy answers: push (and its dry run), show (the
// active document or a kept revision), versions across the pool, the
// revisions this node ran, and the mode switch. See control_api.h.
#include <spdlog/spdlog.h>

#include "daemon/control_api.h"
#include "policy/changes.h"
#include "policy/cpu_planner.h"
#include "policy/writer.h"

namespace shoal::daemon {
namespace {

// The first line of a (possibly long) message, for an event's text.
std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

std::string ModeText(const policy::PolicyDocument& doc) {
  return doc.mode == policy::Mode::kEnforce ? "enforce" : "monitor";
}

// With admin keys, the signed envelope travels; without, the text.
const std::string& PushedBlob(const control::Request& request, const gossip::AdminVerifier* admin) {
  return admin && !request.signed_action().empty() ? request.signed_action() : request.policy_push().text();
}

}  // namespace

void ControlApi::FillStamp(const policy::PolicyVersion& v, control::PolicyStamp& out) {
  out.set_version(v.ToString());
  out.set_revision(v.revision);
  out.set_time_ms(v.time_ms());
  out.set_origin(c_.engine.NameOf(v.origin));
}

Result<control::PolicyInfo> ControlApi::Revision(const policy::PolicyVersion& v, bool with_text) {
  if (!c_.policies) return MakeError("{} keeps no policy revisions", c_.config.node_name);
  auto blob = c_.policies->Blob(v);
  if (!blob.ok()) return blob.error();
  auto opened = c_.engine.policies().distribution().Open(*blob);
  if (!opened.ok()) return MakeError("revision {} does not open: {}", v.ToString(), opened.error().message);
  control::PolicyInfo info;
  FillStamp(v, *info.mutable_stamp());
  info.set_version(v.ToString());
  info.set_active(v == c_.engine.policies().distribution().active_version());
  info.set_bytes(static_cast<uint32_t>(opened->text.size()));
  policy::ParsedPolicy parsed = policy::ParsePolicy(opened->text);
  if (parsed.ok()) {
    info.set_mode(ModeText(parsed.document));
    info.set_applications(static_cast<uint32_t>(parsed.document.applications.size()));
  }
  if (with_text) info.set_text(std::move(opened->text));
  return info;
}

control::Response ControlApi::PolicyPush(const control::Request& request) {
  if (request.policy_push().dry_run()) return PolicyDryRun(request);
  control::Response r;
  policy::PolicyDistributor& policies = c_.engine.policies().distribution();
  auto v = policies.Push(PushedBlob(request, c_.admin));
  if (!v.ok()) {
    spdlog::warn("policy push refused:\n{}", v.error().message);
    c_.engine.Raise(engine::EventType::kPolicyRefused, c_.config.node_name,
                    fmt::format("policy push refused: {}", FirstLine(v.error().message)));
    r.set_error(v.error().message);
    return r;
  }
  const uint32_t rollback_of = request.policy_push().rollback_of();
  const std::string why = rollback_of ? fmt::format(" (a rollback to r{})", rollback_of) : "";
  spdlog::info("policy r{} ({}) pushed through the control API{}", v->revision, v->ToString(), why);
  engine::EventFacts facts = {{"version", v->ToString()}, {"revision", std::to_string(v->revision)}};
  if (rollback_of) facts["rollback_of"] = std::to_string(rollback_of);
  c_.engine.Raise(engine::EventType::kPolicyPushed, fmt::format("r{}", v->revision),
                  fmt::format("policy r{} pushed through {}{}", v->revision, c_.config.node_name, why), facts);
  r.mutable_policy()->set_version(v->ToString());
  FillStamp(*v, *r.mutable_policy()->mutable_stamp());
  r.mutable_policy()->set_mode(c_.engine.policies().mode_text());
  r.mutable_policy()->set_active(true);
  return r;
}

std::optional<std::vector<policy::CpuPolicy>> ControlApi::DraftChanges(const control::Request& request,
                                                                        control::Response& r) {
  const policy::PolicyDistributor& policies = c_.engine.policies().distribution();
  auto draft = policies.Check(PushedBlob(request, c_.admin));
  if (!draft.ok()) {
    r.set_error(draft.error().message);
    return std::nullopt;
  }
  auto* info = r.mutable_policy();
  info->set_mode(ModeText(*draft));
  info->set_applications(static_cast<uint32_t>(draft->applications.size()));
  auto* changes = info->mutable_changes();
  changes->set_answered_by(c_.config.node_name);
  if (!policies.active_version().empty()) FillStamp(policies.active_version(), *info->mutable_stamp());
  changes->set_against(policies.active_version().empty() ? "" : policies.active_version().ToString());
  for (auto& line : policy::DescribeChanges(policies.active(), *draft)) changes->add_changes(std::move(line));
  for (const auto& app : draft->applications) {
    if (!policies.active() || !policies.active()->FindApplication(app.name)) {
      changes->add_notes(fmt::format("{} is new: its processes are found once the draft runs, so it plans with no "
                                     "instances here",
                                     app.name));
    }
  }
  auto in_force = c_.engine.policies().DraftInForce(*draft, c_.engine.FailedNodes());
  if (!in_force.ok()) {
    changes->add_notes(fmt::format("no plan under the draft: {}", in_force.error().message));
    return std::nullopt;
  }
  return std::move(*in_force);
}

control::Response ControlApi::PolicyDryRun(const control::Request& request) {
  control::Response r;
  auto in_force = DraftChanges(request, r);
  if (!in_force) return r;
  auto* changes = r.mutable_policy()->mutable_changes();
  const policy::CpuPlan& now = c_.engine.cpu().plan();
  const policy::CpuPlan would = policy::PlanCpu(c_.engine.pool().PlanInput(std::move(*in_force)));
  for (const auto& a : would.apps) {
    auto* x = changes->add_apps();
    x->set_name(a.name);
    x->set_booked_draft_m(a.booked);
    x->set_allocated_draft_m(a.allocated);
    x->set_demand_m(a.demand);
    x->set_unmet_draft(a.unmet());
    if (const policy::AppPlan* before = now.FindApp(a.name)) {
      x->set_booked_now_m(before->booked);
      x->set_allocated_now_m(before->allocated);
    }
  }
  return r;
}

control::Response ControlApi::PolicyShow(const control::Request& request) {
  control::Response r;
  policy::PolicyDistributor& policies = c_.engine.policies().distribution();
  if (const uint32_t rev = request.policy_show().revision(); rev != 0) {
    auto v = c_.policies ? c_.policies->FindRevision(rev) : std::nullopt;
    if (!v) {
      r.set_error(fmt::format("{} has not run a revision r{} (shoalctl policy history lists the ones it has)",
                              c_.config.node_name, rev));
      return r;
    }
    auto info = Revision(*v, true);
    if (!info.ok()) {
      r.set_error(info.error().message);
    } else {
      *r.mutable_policy() = std::move(*info);
    }
    return r;
  }
  const policy::PolicyDocument* doc = policies.active();
  if (!doc) {
    r.set_error("no policy is active yet (push one with: shoalctl policy push FILE)");
    return r;
  }
  r.mutable_policy()->set_version(policies.active_version().ToString());
  FillStamp(policies.active_version(), *r.mutable_policy()->mutable_stamp());
  r.mutable_policy()->set_text(policies.active_text());
  r.mutable_policy()->set_mode(c_.engine.policies().mode_text());
  r.mutable_policy()->set_active(true);
  r.mutable_policy()->set_applications(static_cast<uint32_t>(doc->applications.size()));
  r.mutable_policy()->set_bytes(static_cast<uint32_t>(policies.active_text().size()));
  return r;
}

control::Response ControlApi::PolicyVersions(const control::Request&) {
  control::Response r;
  for (const auto& [id, v] : c_.engine.policies().distribution().Versions()) {
    auto* n = r.mutable_versions()->add_nodes();
    n->set_node(c_.engine.NameOf(id));
    if (v.empty()) continue;
    n->set_version(v.ToString());
    FillStamp(v, *n->mutable_stamp());  // announced with its revision
  }
  return r;
}

control::Response ControlApi::PolicyHistory(const control::Request&) {
  control::Response r;
  auto* h = r.mutable_policy_history();
  h->set_answered_by(c_.config.node_name);
  if (!c_.policies) return r;
  const auto& versions = c_.policies->versions();
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
    auto info = Revision(*v, false);
    if (info.ok()) {
      *h->add_revisions() = std::move(*info);
    } else {
      spdlog::warn("policy history: {}", info.error().message);
    }
  }
  return r;
}

control::Response ControlApi::Mode(const control::Request& request) {
  control::Response r;
  policy::PolicyDistributor& policies = c_.engine.policies().distribution();
  const policy::PolicyDocument* doc = policies.active();
  // The mode is part of the policy document: switching pushes the active
  // document again with the new mode, so every node switches with it.
  if (!doc) {
    r.set_error("no policy is active: push one (its mode attribute sets the mode)");
    return r;
  }
  if (c_.admin) {
    r.set_error("this pool takes only policies an admin signed: shoalctl mode --admin-key KEY signs the "
                "active document with the new mode and pushes it");
    return r;
  }
  policy::PolicyDocument changed = *doc;
  changed.mode = request.mode().enforce() ? policy::Mode::kEnforce : policy::Mode::kMonitor;
  auto v = policies.Push(policy::WritePolicy(changed));
  if (!v.ok()) {
    r.set_error(v.error().message);
    return r;
  }
  spdlog::info("mode {} requested through the control API: policy r{} ({})",
               request.mode().enforce() ? "enforce" : "monitor", v->revision, v->ToString());
  r.mutable_policy()->set_version(v->ToString());
  FillStamp(*v, *r.mutable_policy()->mutable_stamp());
  r.mutable_policy()->set_mode(request.mode().enforce() ? "enforce" : "monitor");
  return r;
}

}  // namespace shoal::daemon
