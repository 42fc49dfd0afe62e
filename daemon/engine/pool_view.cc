#include "daemon/engine/pool_view.h"


namespace shoal::engine {

void PoolView::Update(const gossip::ChannelView& channel) {
  ++updates_;
  bool changed = false;
  channel.ForEach([&](NodeId id, const gossip::StoredEntry& e) {
    auto it = nodes_.find(id);
    if (it == nodes_.end() || it->second.version != e.version) {
      if (auto bad = refused_.find(id); bad != refused_.end() && bad->second == e.version) return;
      auto status = DecodeNodeStatus(e.payload);
      if (!status.ok()) {
        ++malformed_;
        refused_[id] = e.version;
        return;
      }
      refused_.erase(id);
      const bool was_live = it != nodes_.end() && it->second.live;
      std::shared_ptr<const NodeStatus> settled;
      if (status->settling && it != nodes_.end()) {
        const Node& before = it->second;
        settled = before.status.settling ? before.settled : std::make_shared<const NodeStatus>(before.status);
      }
      it = nodes_.insert_or_assign(id, Node{std::move(*status), e.version, e.stored_at, was_live, 0, std::move(settled)})
               .first;
      changed = true;
    }
    it->second.seen = updates_;
  });
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Node& n = it->second;
    const bool live = n.seen == updates_;
    changed = changed || live != n.live;
    n.live = live;
    if (!live && channel.FindAny(it->first) == nullptr) {
      it = nodes_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (!refused_.empty()) {
    std::erase_if(refused_, [&](const auto& r) { return channel.FindAny(r.first) == nullptr; });
  }
  if (changed) ++changes_;
}

const PoolView::Node* PoolView::Find(NodeId id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::string PoolView::NameOf(NodeId id) const {
  const Node* n = Find(id);
  return n ? n->status.name : id.ToString();
}

double PoolView::CapacityM() const {
  double m = 0;
  ForEachLive([&](NodeId, const Node& n) { m += n.status.capacity_m; });
  return m;
}

void AddToPlanInput(NodeId id, const NodeStatus& status, policy::PlanInput& in) {
  if (status.capacity_m == 0) return;  // not planning yet
  in.nodes.push_back({id, status.name, static_cast<double>(status.capacity_m)});
  for (const auto& i : status.instances) in.instances.push_back({i.app, id, i.demand_m, i.usage_m});
}

policy::PlanInput PoolView::PlanInput(std::vector<policy::CpuPolicy> policies) const {
  policy::PlanInput in;
  in.policies = std::move(policies);
  ForEachLive([&](NodeId id, const Node& n) { AddToPlanInput(id, n.planned(), in); });
  return in;
}

policy::PlanInput SnapshotPlanInput(const gossip::Snapshot& snapshot, std::vector<policy::CpuPolicy> policies) {
  policy::PlanInput in;
  in.policies = std::move(policies);
  auto channel = snapshot.channels.find(kNodeChannel);
  if (channel == snapshot.channels.end()) return in;
  for (NodeId id : snapshot.members) {
    auto entry = channel->second.find(id);
    if (entry == channel->second.end()) continue;
    if (auto status = DecodeNodeStatus(entry->second.payload); status.ok()) AddToPlanInput(id, *status, in);
  }
  return in;
}

}  // namespace shoal::engine
