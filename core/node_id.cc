#include "core/node_id.h"

#include <fmt/format.h>

namespace shoal {

std::string NodeId::ToString() const { return fmt::format("{:016x}", value); }

NodeId NodeId::FromName(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return NodeId{h == 0 ? 1 : h};
}

NodeSet::NodeSet(std::vector<NodeId> ids) : ids_(std::move(ids)) {
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
}

bool NodeSet::Insert(NodeId id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it != ids_.end() && *it == id) return false;
  ids_.insert(it, id);
  return true;
}

bool NodeSet::Erase(NodeId id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return false;
  ids_.erase(it);
  return true;
}

bool NodeSet::Contains(NodeId id) const {
  return std::binary_search(ids_.begin(), ids_.end(), id);
}

}  // namespace shoal
