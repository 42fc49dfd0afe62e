// Triggers: conditions checked on a timer or on events (the four built in,
// or any event type of core/event_types.h), and the actions
// they fire. Evaluate() is given the time and what happened since the last
// call (nodes failed, bookings that could not be met, usage against
// allocation) and returns the actions to carry out; set-cpu actions are
// also kept as overrides that Apply() lays over the effective policies
// until the document changes. A trigger fires at most once per rate-limit
// interval however long its condition stays true, so an action that keeps
// its own condition true cannot loop. Timers fire at multiples of their
// period since the epoch, the same instants on every node. Pure logic; the
// daemon runs the scripts and writes the log lines. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/model.h"
#include "policy/schedule.h"

namespace shoal::policy {

// An event this node saw since the last evaluation (a pool-wide one on
// every node alike, a local one on its node only).
struct ObservedEvent {
  std::string type;  // core/event_types.h
  std::string subject;
  std::string text;
  std::map<std::string, std::string> facts;
};

struct TriggerInputs {
  int64_t now_ms = 0;                            // wall-clock milliseconds
  std::vector<ObservedEvent> events;             // since the previous evaluation
  int nodes_failed = 0;                          // since the previous evaluation
  std::set<std::string> insufficient;            // applications whose booking could not be met
  std::map<std::string, double> usage_percent;   // usage as a percentage of the allocation
};

struct FiredAction {
  std::string trigger;
  TriggerAction action;
  // Facts for a script's environment (SHOAL_TRIGGER, SHOAL_EVENT, ...).
  std::map<std::string, std::string> environment;
  // Fired by a local event: carried out on this node (not by the node
  // that carries out the pool's triggers).
  bool local = false;
};

// The trigger's event= as written: timer, insufficient-resources,
// node-failed, usage-above or the event type.
std::string EventAttribute(const TriggerSpec& t);

class TriggerEngine {
 public:
  explicit TriggerEngine(const PolicyDocument& doc) : doc_(doc) {}

  std::vector<FiredAction> Evaluate(const TriggerInputs& in);
  // Lays the set-cpu overrides over the effective policies (adding one for
  // an application that has none).
  void Apply(std::vector<EffectivePolicy>& effective) const;
  const std::map<std::string, CpuShare>& cpu_overrides() const { return overrides_; }

 private:
  PolicyDocument doc_;
  std::map<std::string, int64_t> last_fired_ms_;
  std::map<std::string, int64_t> last_checked_ms_;
  std::map<std::string, CpuShare> overrides_;
};

}  // namespace shoal::policy
