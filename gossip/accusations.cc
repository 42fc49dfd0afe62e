#include "gossip/accusations.h"

#include <algorithm>

namespace shoal::gossip {

void AccusationBook::Replace(NodeId accuser, std::span<const Accusation> list, TimePoint now) {
  // Withdrawn: held against an id the new list does not name.
  for (auto it = against_.begin(); it != against_.end();) {
    const NodeId id = it->first;
    const bool named =
        std::any_of(list.begin(), list.end(), [&](const Accusation& a) { return a.id == id; });
    if (!named) {
      std::erase_if(it->second, [&](const Held& h) { return h.accuser == accuser; });
    }
    it = it->second.empty() ? against_.erase(it) : std::next(it);
  }
  for (const Accusation& a : list) {
    auto& held = against_[a.id];
    auto mine =
        std::find_if(held.begin(), held.end(), [&](const Held& h) { return h.accuser == accuser; });
    if (mine == held.end()) {
      held.push_back(Held{accuser, a.incarnation, now});
    } else if (mine->incarnation != a.incarnation) {
      *mine = Held{accuser, a.incarnation, now};  // a new accusation
    }
  }
}

bool AccusationBook::Add(NodeId accuser, const Accusation& a, TimePoint now) {
  size_t made = 0;
  for (const auto& [id, held] : against_) {
    for (const Held& h : held) {
      if (h.accuser != accuser) continue;
      if (id == a.id) return false;
      ++made;
    }
  }
  if (made >= kMaxAccusations) return false;
  against_[a.id].push_back(Held{accuser, a.incarnation, now});
  return true;
}

std::optional<TimePoint> AccusationBook::Standing(NodeId id, uint64_t incarnation,
                                                  TimePoint last_seen) {
  auto it = against_.find(id);
  if (it == against_.end()) return std::nullopt;
  std::optional<TimePoint> earliest;
  std::erase_if(it->second, [&](const Held& h) {
    const bool stands = h.incarnation >= incarnation && h.heard > last_seen;
    if (!stands) return true;
    if (!earliest || h.heard < *earliest) earliest = h.heard;
    return false;
  });
  if (it->second.empty()) against_.erase(it);
  return earliest;
}

bool AccusationBook::AccusedAfter(NodeId id, uint64_t incarnation, TimePoint seen) const {
  auto it = against_.find(id);
  if (it == against_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Held& h) { return h.incarnation >= incarnation && h.heard > seen; });
}

std::vector<Accusation> AccusationBook::By(NodeId accuser) const {
  std::vector<Accusation> out;
  for (const auto& [id, held] : against_) {
    for (const Held& h : held) {
      if (h.accuser == accuser) out.push_back(Accusation{id, h.incarnation});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Accusation& a, const Accusation& b) { return a.id < b.id; });
  return out;
}

void AccusationBook::Forget(NodeId id) {
  against_.erase(id);
  for (auto it = against_.begin(); it != against_.end();) {
    std::erase_if(it->second, [&](const Held& h) { return h.accuser == id; });
    it = it->second.empty() ? against_.erase(it) : std::next(it);
  }
}

std::vector<NodeId> AccusationBook::Accused() const {
  std::vector<NodeId> ids;
  ids.reserve(against_.size());
  for (const auto& [id, held] : against_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace shoal::gossip
