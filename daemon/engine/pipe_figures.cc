#include "daemon/engine/pipe_figures.h"

namespace shoal::engine {

void PipeFigures::Put(Node& n, PipeDemand d) {
  if (d.period) {
    n.period = d;
  } else {
    // Without them, the node's last period figures and fallback stand.
    for (LaneDemand& lane : d.lanes) {
      if (const LaneDemand* last = n.period.Find(lane.lane)) {
        lane.used = last->used;
        lane.allocated = last->allocated;
        lane.fallback = last->fallback;
      }
    }
  }
  PipeDemand& slot = n.ring[d.round % kKept];
  // A figure of an older round than the one it would replace (a node whose
  // clock went back) does not push out newer ones.
  if (slot.round <= d.round) slot = std::move(d);
}

void PipeFigures::Update(const gossip::ChannelView& channel) {
  ++updates_;
  channel.ForEach([&](NodeId id, const gossip::StoredEntry& e) {
    if (id == self_) return;
    Node& n = nodes_[id];
    n.seen = updates_;
    gone_.erase(id);
    if (n.version == e.version) return;
    n.version = e.version;
    auto d = DecodePipeDemand(e.payload.view());
    if (!d.ok()) {
      ++malformed_;
      return;
    }
    Put(n, std::move(*d));
  });
  std::erase_if(nodes_, [&](const auto& kv) {
    if (kv.second.seen == updates_) return false;
    const PipeDemand* newest = nullptr;
    for (const PipeDemand& d : kv.second.ring) {
      if (newest == nullptr || d.round > newest->round) newest = &d;
    }
    if (newest != nullptr) gone_[kv.first] = *newest;
    return true;
  });
}

std::pair<uint64_t, size_t> PipeFigures::Reserved(uint32_t lane, uint64_t document,
                                                  const std::function<bool(NodeId)>& failed) {
  uint64_t reserved = 0;
  size_t nodes = 0;
  for (auto it = gone_.begin(); it != gone_.end();) {
    if (!failed(it->first)) {
      it = gone_.erase(it);
      continue;
    }
    const LaneDemand* l = it->second.document == document ? it->second.Find(lane) : nullptr;
    if (l != nullptr) {
      reserved += l->fallback;
      ++nodes;
    }
    ++it;
  }
  return {reserved, nodes};
}

std::vector<std::pair<NodeId, uint64_t>> PipeFigures::Gone(uint32_t lane, uint64_t document) const {
  std::vector<std::pair<NodeId, uint64_t>> out;
  for (const auto& [node, d] : gone_) {
    const LaneDemand* l = d.document == document ? d.Find(lane) : nullptr;
    out.emplace_back(node, l != nullptr ? l->fallback : 0);
  }
  return out;
}

void PipeFigures::Keep(PipeDemand d) { Put(own_, std::move(d)); }

std::vector<PipeFigures::Chosen> PipeFigures::Choose(uint64_t document, uint64_t oldest, uint64_t newest) const {
  auto latest = [&](const Node& n) -> const PipeDemand* {
    const PipeDemand* best = nullptr;
    for (const PipeDemand& d : n.ring) {
      if (d.document != document || d.round < oldest || d.round > newest) continue;
      if (best == nullptr || d.round > best->round) best = &d;
    }
    return best;
  };
  std::vector<Chosen> out;
  bool own_placed = false;
  const PipeDemand* own = latest(own_);
  for (const auto& [id, n] : nodes_) {
    if (own != nullptr && !own_placed && self_ < id) {
      out.push_back({self_, own});
      own_placed = true;
    }
    if (const PipeDemand* d = latest(n)) out.push_back({id, d});
  }
  if (own != nullptr && !own_placed) out.push_back({self_, own});
  return out;
}

}  // namespace shoal::engine
