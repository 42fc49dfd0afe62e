#include "tools/ctl/policy_text.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "tools/ctl/table.h"

namespace shoal::ctl {
namespace control = daemon::control;
namespace {

std::string TimeText(int64_t ms) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(ms / 1000)));
}

std::string Cores(double millicores) { return fmt::format("{:.2f}", millicores / 1000.0); }

}  // namespace

std::string StampText(const control::PolicyStamp& s) {
  if (s.version().empty()) return "none";
  if (s.time_ms() <= 0) return s.version();
  const std::string when = fmt::format("{} from {}", TimeText(s.time_ms()), s.origin());
  return s.revision() > 0 ? fmt::format("r{}, {}", s.revision(), when) : fmt::format("{} ({})", when, s.version());
}

std::string RevisionText(const control::PolicyStamp& s) {
  if (s.revision() > 0) return fmt::format("r{}", s.revision());
  return s.version().empty() ? "none" : s.version();
}

std::string PolicyAnswerText(const control::PolicyInfo& p) {
  if (p.has_changes()) return DryRunText(p);
  std::string out = StampText(p.stamp());
  if (!p.mode().empty()) out += fmt::format(" (mode {}{})", p.mode(), p.text().empty() || p.active() ? "" : ", not active");
  out += "\n";
  if (!p.text().empty()) out += p.text() + (p.text().back() == '\n' ? "" : "\n");
  return out;
}

std::string PolicyHistoryText(const control::PolicyHistory& h) {
  if (h.revisions_size() == 0) return fmt::format("{} has run no policy yet\n", h.answered_by());
  Table t({"REVISION", "STAMPED (UTC)", "FROM", "MODE", ">APPS", ">BYTES", "ACTIVE", "VERSION"});
  for (const auto& r : h.revisions()) {
    t.Add({RevisionText(r.stamp()), TimeText(r.stamp().time_ms()), r.stamp().origin(), r.mode().empty() ? "?" : r.mode(),
           std::to_string(r.applications()), std::to_string(r.bytes()), r.active() ? "*" : "", r.version()});
  }
  return t.Render() + fmt::format("The revisions {} has run, newest first.\n", h.answered_by());
}

std::string DryRunText(const control::PolicyInfo& p) {
  const auto& c = p.changes();
  std::string out = fmt::format("dry run on {}: the draft is valid (mode {}, {} application(s)); nothing was stamped\n",
                                c.answered_by(), p.mode(), p.applications());
  out += c.against().empty() ? "against: no active policy\n" : fmt::format("against: {}\n", StampText(p.stamp()));
  if (c.changes_size() == 0) out += "no change: the draft says what the active policy says\n";
  for (const auto& line : c.changes()) out += "  " + line + "\n";
  if (c.apps_size() > 0) {
    Table t({"APPLICATION", ">BOOKED", ">BOOKED_DRAFT", ">ALLOCATED", ">ALLOCATED_DRAFT", ">DEMAND"});
    for (const auto& a : c.apps()) {
      t.Add({a.name(), Cores(a.booked_now_m()), Cores(a.booked_draft_m()), Cores(a.allocated_now_m()),
             Cores(a.allocated_draft_m()), Cores(a.demand_m())});
    }
    out += "CPU plan now and under the draft, in cores:\n" + t.Render("  ");
  }
  for (const auto& a : c.apps()) {
    if (a.unmet_draft()) out += fmt::format("warning: under the draft the booking of {} cannot be met\n", a.name());
  }
  for (const auto& n : c.notes()) out += "note: " + n + "\n";
  return out;
}

}  // namespace shoal::ctl
