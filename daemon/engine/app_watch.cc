#include "daemon/engine/app_watch.h"

#include <algorithm>

namespace shoal::engine {
namespace {

AppCondition Change(AppCondition::Kind kind, const policy::AppPlan& app, bool begun) {
  return {kind, app.name, begun, app.demand, app.usage, app.allocated, app.requested};
}

bool Squeezed(const policy::AppPlan& app) {
  return app.demand > app.allocated + std::max(0.05 * app.allocated, 50.0);
}

}  // namespace

std::vector<AppCondition> AppWatch::Follow(const policy::CpuPlan& plan) {
  std::vector<AppCondition> out;
  std::map<std::string, State> next;
  for (const auto& app : plan.apps) {
    State s = state_[app.name];
    FollowSqueeze(app, s, out);
    FollowIdle(app, s, out);
    next[app.name] = s;
  }
  // An application gone from the plan ends its conditions quietly.
  state_ = std::move(next);
  return out;
}

void AppWatch::FollowSqueeze(const policy::AppPlan& app, State& s, std::vector<AppCondition>& out) const {
  if (Squeezed(app)) {
    s.relieved_run = 0;
    if (++s.squeezed_run >= options_.sustain && !s.squeezed) {
      s.squeezed = true;
      out.push_back(Change(AppCondition::Kind::kSqueezed, app, true));
    }
    return;
  }
  s.squeezed_run = 0;
  if (s.squeezed && ++s.relieved_run >= options_.sustain) {
    s.squeezed = false;
    s.relieved_run = 0;
    out.push_back(Change(AppCondition::Kind::kSqueezed, app, false));
  }
}

void AppWatch::FollowIdle(const policy::AppPlan& app, State& s, std::vector<AppCondition>& out) const {
  if (app.requested > 0 && app.usage < 0.1 * app.requested) {
    if (++s.idle_run >= options_.idle_after && !s.idle) {
      s.idle = true;
      out.push_back(Change(AppCondition::Kind::kIdle, app, true));
    }
    return;
  }
  s.idle_run = 0;
  if (s.idle) {
    s.idle = false;
    out.push_back(Change(AppCondition::Kind::kIdle, app, false));
  }
}

}  // namespace shoal::engine
