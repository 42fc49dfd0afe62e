#include "daemon/engine/events.h"

#include <algorithm>

namespace shoal::engine {

const Event& EventLog::Raise(EventType type, std::string subject, std::string text, const EventFacts& facts) {
  const EventKind& kind = KindOf(type);
  Event e;
  e.set_node(node_);
  e.set_seq(++seq_);
  e.set_time_ms(wall_.NowMs());
  e.set_type(std::string(kind.name));
  ++counts_[e.type()];
  e.set_severity(std::string(SeverityName(kind.severity)));
  e.set_subject(std::move(subject));
  e.set_text(std::move(text));
  for (const auto& [k, v] : facts) (*e.mutable_facts())[k] = v;
  if (kept_.size() >= keep_) kept_.pop_front();
  kept_.push_back(std::move(e));
  const Event& raised = kept_.back();
  for (const auto& sink : sinks_) sink(raised);
  return raised;
}

std::vector<Event> EventLog::Select(const EventQuery& q) const {
  const size_t limit = EventLimit(q);
  std::vector<Event> out;
  for (auto it = kept_.rbegin(); it != kept_.rend() && out.size() < limit; ++it) {
    if (it->time_ms() < q.after_ms()) break;
    if (!it->type().starts_with(q.type_prefix())) continue;
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace shoal::engine
