#include "daemon/trigger_actions.h"

#include <spdlog/spdlog.h>

namespace shoal::daemon {
namespace {

void Log(const policy::FiredAction& f) {
  const auto level = f.action.level == "error"     ? spdlog::level::err
                     : f.action.level == "warning" ? spdlog::level::warn
                                                   : spdlog::level::info;
  spdlog::log(level, "trigger {}: {}", f.trigger, f.action.message);
}

void RunScript(const policy::FiredAction& f, ScriptRunner& scripts, engine::NodeEngine& engine) {
  auto s = scripts.Run(f.action.script, f.environment, std::chrono::milliseconds(f.action.timeout_ms),
                       [trigger = f.trigger](const ScriptResult& r) {
                         if (r.timed_out) {
                           spdlog::warn("trigger {}: {} ended after its timeout", trigger, r.script);
                         } else if (r.exit_code != 0) {
                           spdlog::warn("trigger {}: {} exited with {}", trigger, r.script, r.exit_code);
                         } else {
                           spdlog::info("trigger {}: {} done", trigger, r.script);
                         }
                       });
  if (!s.ok()) {
    spdlog::error("trigger {}: {}", f.trigger, s.error().message);
    engine.Raise(engine::EventType::kTriggerRefused, f.trigger, s.error().message, {{"script", f.action.script}});
  }
}

}  // namespace

void CarryOut(const policy::FiredAction& f, ScriptRunner& scripts, engine::NodeEngine& engine) {
  switch (f.action.kind) {
    case policy::TriggerAction::Kind::kLog: return Log(f);
    case policy::TriggerAction::Kind::kRun: return RunScript(f, scripts, engine);
    case policy::TriggerAction::Kind::kSetCpu:
      spdlog::info("trigger {}: {} set to a new CPU share (applied by the planner)", f.trigger,
                   f.action.application);
      return;
  }
}

}  // namespace shoal::daemon
