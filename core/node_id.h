// Node identity. A NodeId is a 64-bit number, unique in the pool; shoald
// derives it from the node's name (so a restarted server keeps its id) and
// the simulator numbers its nodes. Ids are totally ordered: "the live node
// with the lowest id" is well defined. NodeSet is a small sorted set of ids.
// Value types; thread-compatible.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

struct NodeId {
  uint64_t value = 0;

  constexpr auto operator<=>(const NodeId&) const = default;
  bool valid() const { return value != 0; }
  // 16 hex digits.
  std::string ToString() const;

  // A stable id from a node name (64-bit FNV-1a, never 0).
  static NodeId FromName(std::string_view name);
};

// Sorted, duplicate-free set of node ids.
class NodeSet {
 public:
  NodeSet() = default;
  explicit NodeSet(std::vector<NodeId> ids);

  bool Insert(NodeId id);  // true if it was new
  bool Erase(NodeId id);   // true if it was there
  bool Contains(NodeId id) const;
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  const std::vector<NodeId>& ids() const { return ids_; }
  auto begin() const { return ids_.begin(); }
  auto end() const { return ids_.end(); }
  bool operator==(const NodeSet&) const = default;

 private:
  std::vector<NodeId> ids_;
};

}  // namespace shoal

template <>
struct std::hash<shoal::NodeId> {
  size_t operator()(const shoal::NodeId& id) const noexcept {
    // Ids from FromName are already well mixed; sim ids are small integers,
    // so mix anyway to keep hash tables balanced.
    uint64_t x = id.value * 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(x ^ (x >> 32));
  }
};
