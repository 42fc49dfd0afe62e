// What shoald does with a trigger's action once the engine fired it
// (engine::EngineHooks::trigger): a log line at the action's level, a
// script through the script runner (refusals noted as events), or a note
// that the planner applies a set-cpu override.
#pragma once

#include "daemon/engine/node_engine.h"
#include "daemon/script_runner.h"
#include "policy/triggers.h"

namespace shoal::daemon {

void CarryOut(const policy::FiredAction& fired, ScriptRunner& scripts, engine::NodeEngine& engine);

}  // namespace shoal::daemon
