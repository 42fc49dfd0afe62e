#include "policy/model.h"

namespace shoal::policy {

const PipeSpec* PolicyDocument::FindPipe(const std::string& name) const {
  for (const auto& p : pipes) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ApplicationSpec* PolicyDocument::FindApplication(const std::string& name) const {
  for (const auto& a : applications) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const PolicySpec* PolicyDocument::FindPolicy(const std::string& application) const {
  for (const auto& p : policies) {
    if (p.application == application) return &p;
  }
  return nullptr;
}

void ClearSourceLines(PolicyDocument& doc) {
  auto clear_override = [](ShareOverride& o) {
    if (o.cpu) o.cpu->line = 0;
    for (auto& b : o.bandwidth) b.line = 0;
  };
  for (auto& p : doc.pipes) p.line = 0;
  for (auto& a : doc.applications) {
    a.line = 0;
    for (auto& r : a.processes) r.line = 0;
    for (auto& f : a.flows) f.line = 0;
  }
  for (auto& p : doc.policies) {
    p.line = 0;
    if (p.cpu) p.cpu->line = 0;
    for (auto& b : p.bandwidth) b.line = 0;
    if (p.schedule) {
      p.schedule->line = 0;
      for (auto& w : p.schedule->windows) {
        w.line = 0;
        clear_override(w.shares);
      }
    }
    if (p.on_failure) {
      p.on_failure->line = 0;
      clear_override(p.on_failure->shares);
    }
  }
  for (auto& t : doc.triggers) {
    t.line = 0;
    for (auto& a : t.actions) {
      a.line = 0;
      a.cpu.line = 0;
    }
  }
}

}  // namespace shoal::policy
