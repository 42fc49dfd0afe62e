#include "policy/triggers.h"

#include <fmt/format.h>

#include "core/event_types.h"
#include "policy/units.h"

namespace shoal::policy {
namespace {

// The first event of `t`'s type (and subject, if the trigger names an
// application) into `env`; false if none came.
bool MatchEvent(const TriggerSpec& t, const std::vector<ObservedEvent>& events, std::map<std::string, std::string>& env) {
  for (const ObservedEvent& e : events) {
    if (e.type != t.event_type || (!t.application.empty() && e.subject != t.application)) continue;
    env["SHOAL_EVENT"] = e.type;
    env["SHOAL_SUBJECT"] = e.subject;
    env["SHOAL_EVENT_TEXT"] = e.text;
    for (const auto& [k, v] : e.facts) env[FactVariable(k)] = v;
    return true;
  }
  return false;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string EventAttribute(const TriggerSpec& t) {
  switch (t.event) {
    case TriggerEvent::kTimer: return "timer";
    case TriggerEvent::kInsufficientResources: return "insufficient-resources";
    case TriggerEvent::kNodeFailed: return "node-failed";
    case TriggerEvent::kUsageAbove: return "usage-above";
    case TriggerEvent::kEvent: return t.event_type;
  }
  return "?";
}

std::vector<FiredAction> TriggerEngine::Evaluate(const TriggerInputs& in) {
  std::vector<FiredAction> fired;
  for (const TriggerSpec& t : doc_.triggers) {
    std::map<std::string, std::string> env{{"SHOAL_TRIGGER", t.name},
                                           {"SHOAL_EVENT", EventAttribute(t)},
                                           {"SHOAL_TIME_MS", std::to_string(in.now_ms)}};
    bool condition = false;
    switch (t.event) {
      case TriggerEvent::kTimer: {
        auto last = last_checked_ms_.find(t.name);
        // A period boundary passed since the previous check (not at the very first one).
        condition = last != last_checked_ms_.end() &&
                    FloorDiv(in.now_ms, t.every_ms) > FloorDiv(last->second, t.every_ms);
        last_checked_ms_[t.name] = in.now_ms;
        break;
      }
      case TriggerEvent::kNodeFailed:
        condition = in.nodes_failed > 0;
        env["SHOAL_FAILED_NODES"] = std::to_string(in.nodes_failed);
        break;
      case TriggerEvent::kInsufficientResources:
        if (t.application.empty()) {
          condition = !in.insufficient.empty();
          std::string apps;
          for (const auto& a : in.insufficient) apps += (apps.empty() ? "" : " ") + a;
          env["SHOAL_APPLICATION"] = apps;
        } else {
          condition = in.insufficient.count(t.application) != 0;
          env["SHOAL_APPLICATION"] = t.application;
        }
        break;
      case TriggerEvent::kEvent:
        condition = MatchEvent(t, in.events, env);
        break;
      case TriggerEvent::kUsageAbove: {
        auto it = in.usage_percent.find(t.application);
        condition = it != in.usage_percent.end() && it->second > t.threshold_percent;
        env["SHOAL_APPLICATION"] = t.application;
        if (it != in.usage_percent.end()) env["SHOAL_USAGE_PERCENT"] = FormatNumber(it->second);
        break;
      }
    }
    if (!condition) continue;
    auto last = last_fired_ms_.find(t.name);
    if (last != last_fired_ms_.end() && in.now_ms - last->second < t.rate_limit_ms) continue;
    last_fired_ms_[t.name] = in.now_ms;
    const bool local = t.event == TriggerEvent::kEvent && !KindOf(*EventTypeNamed(t.event_type)).pool_wide;
    for (const TriggerAction& a : t.actions) {
      if (a.kind == TriggerAction::Kind::kSetCpu) overrides_[a.application] = a.cpu;
      fired.push_back(FiredAction{t.name, a, env, local});
    }
  }
  return fired;
}

void TriggerEngine::Apply(std::vector<EffectivePolicy>& effective) const {
  for (const auto& entry : overrides_) {
    const std::string& app = entry.first;
    const CpuShare& cpu = entry.second;
    auto it = std::find_if(effective.begin(), effective.end(),
                           [&app](const EffectivePolicy& e) { return e.application == app; });
    if (it == effective.end()) {
      effective.push_back(EffectivePolicy{app, 1, cpu, {}, "trigger"});
    } else {
      it->cpu = cpu;
      it->source = "trigger";
    }
  }
}

}  // namespace shoal::policy
