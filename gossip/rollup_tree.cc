#include "gossip/rollup_tree.h"

#include <array>
#include <algorithm>
#include <bit>
#include <tuple>

namespace shoal::gossip {
namespace {

constexpr int kBits = 3;
constexpr int kPrefixLevels = ZoneKey::kLeafLevel;  // levels 0 .. 21 are prefixes

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t RepHash(NodeId id, int level) { return Mix(id.value + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(level + 1)); }

// The prefix levels two positions share, 0 .. 21.
int Shared(uint64_t a, uint64_t b) {
  if (a == b) return kPrefixLevels - 1;  // a hash collision: one zone down to the last prefix
  return std::min(kPrefixLevels - 1, std::countl_zero(a ^ b) / kBits);
}

uint64_t Prefix(uint64_t position, int level) {
  return level == 0 ? 0 : position & (~uint64_t{0} << (64 - kBits * level));
}

// The zone a group of positions (sorted, all sharing one prefix) forms: a
// leaf for one, else the deepest level they all share.
ZoneKey GroupZone(std::span<const uint64_t> group) {
  if (group.size() == 1) return {ZoneKey::kLeafLevel, group.front()};
  const int level = Shared(group.front(), group.back());
  return {static_cast<uint8_t>(level), Prefix(group.front(), level)};
}

// The representative's draw: unbarred first, then the least hash, then the least id.
using Draw = std::tuple<bool, uint64_t, NodeId>;

Draw DrawOf(NodeId id, int level, std::span<const NodeId> barred) {
  return {std::binary_search(barred.begin(), barred.end(), id), RepHash(id, level), id};
}

// The zones right under `zone` (self represents it), whose members are
// `members` (position, id), sorted by position: its members grouped by the
// next level's prefix, each group's zone with its representative.
void FillChildren(ZoneLink& zone, std::span<const std::pair<uint64_t, NodeId>> members,
                  std::span<const NodeId> barred) {
  std::vector<std::pair<ZoneKey, NodeId>> out;
  std::vector<uint64_t> positions;
  for (size_t i = 0; i < members.size();) {
    size_t j = i + 1;
    while (j < members.size() && Shared(members[i].first, members[j].first) > zone.zone.level) ++j;
    positions.clear();
    for (size_t k = i; k < j; ++k) positions.push_back(members[k].first);
    const ZoneKey child = GroupZone(positions);
    Draw best = DrawOf(members[i].second, child.level, barred);
    for (size_t k = i + 1; k < j; ++k) best = std::min(best, DrawOf(members[k].second, child.level, barred));
    out.emplace_back(child, child.level == ZoneKey::kLeafLevel ? members[i].second : std::get<2>(best));
    i = j;
  }
  std::sort(out.begin(), out.end());
  for (const auto& [key, rep] : out) {
    zone.children.push_back(key);
    zone.child_reps.push_back(rep);
  }
}

}  // namespace

uint64_t TreePosition(NodeId id) { return Mix(id.value ^ 0x5a0b1e5eedULL); }

std::vector<ZoneLink> ZoneChain(NodeId self, std::span<const NodeId> live, std::span<const NodeId> barred) {
  const uint64_t me = TreePosition(self);
  std::array<size_t, kPrefixLevels> sharing{};  // members sharing exactly l levels
  std::array<Draw, kPrefixLevels> best{};
  for (int l = 0; l < kPrefixLevels; ++l) best[l] = DrawOf(self, l, barred);
  struct Shares {
    int levels;  // shared with self
    uint64_t position;
    NodeId id;
  };
  std::vector<Shares> shared;  // every member's
  shared.reserve(live.size() + 1);
  shared.push_back({kPrefixLevels, me, self});
  for (NodeId y : live) {
    if (y == self) continue;
    const uint64_t position = TreePosition(y);
    const int s = Shared(me, position);
    shared.push_back({s, position, y});
    ++sharing[s];
    const bool is_barred = std::binary_search(barred.begin(), barred.end(), y);
    for (int l = 0; l <= s; ++l) best[l] = std::min(best[l], Draw{is_barred, RepHash(y, l), y});
  }
  std::vector<ZoneLink> chain{{ZoneKey{ZoneKey::kLeafLevel, me}, self, 1, {}, {}}};
  size_t below = 1;  // members of the zone one level down
  for (int l = kPrefixLevels - 1; l >= 0; --l) {
    const size_t members = below + sharing[l];
    if (members > below) {
      chain.push_back({ZoneKey{static_cast<uint8_t>(l), Prefix(me, l)}, std::get<2>(best[l]), members, {}, {}});
    }
    below = members;
  }
  // What lies right under the zones self represents.
  for (size_t z = 1; z < chain.size(); ++z) {
    if (chain[z].rep != self) continue;
    std::vector<std::pair<uint64_t, NodeId>> members;
    for (const Shares& m : shared) {
      if (m.levels >= chain[z].zone.level) members.emplace_back(m.position, m.id);
    }
    std::sort(members.begin(), members.end());
    FillChildren(chain[z], members, barred);
  }
  return chain;
}

}  // namespace shoal::gossip
