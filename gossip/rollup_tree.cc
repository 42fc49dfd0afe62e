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

// The zones right under the zone at `level` that holds `members` (sorted
// positions): its members grouped by the next level's prefix.
std::vector<ZoneKey> Children(std::span<const uint64_t> members, int level) {
  std::vector<ZoneKey> out;
  for (size_t i = 0; i < members.size();) {
    size_t j = i + 1;
    while (j < members.size() && Shared(members[i], members[j]) > level) ++j;
    out.push_back(GroupZone(members.subspan(i, j - i)));
    i = j;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

uint64_t TreePosition(NodeId id) { return Mix(id.value ^ 0x5a0b1e5eedULL); }

std::vector<ZoneLink> ZoneChain(NodeId self, std::span<const NodeId> live, std::span<const NodeId> barred) {
  const uint64_t me = TreePosition(self);
  std::array<size_t, kPrefixLevels> sharing{};  // members sharing exactly l levels
  // The representative's draw: unbarred first, then the least hash, then the least id.
  using Draw = std::tuple<bool, uint64_t, NodeId>;
  std::array<Draw, kPrefixLevels> best{};
  for (int l = 0; l < kPrefixLevels; ++l) {
    best[l] = {std::binary_search(barred.begin(), barred.end(), self), RepHash(self, l), self};
  }
  std::vector<std::pair<int, uint64_t>> shared;  // (levels shared with self, position) of each member
  shared.reserve(live.size() + 1);
  shared.emplace_back(kPrefixLevels, me);
  for (NodeId y : live) {
    if (y == self) continue;
    const uint64_t position = TreePosition(y);
    const int s = Shared(me, position);
    shared.emplace_back(s, position);
    ++sharing[s];
    const bool is_barred = std::binary_search(barred.begin(), barred.end(), y);
    for (int l = 0; l <= s; ++l) best[l] = std::min(best[l], Draw{is_barred, RepHash(y, l), y});
  }
  std::vector<ZoneLink> chain{{ZoneKey{ZoneKey::kLeafLevel, me}, self, 1, {}}};
  size_t below = 1;  // members of the zone one level down
  for (int l = kPrefixLevels - 1; l >= 0; --l) {
    const size_t members = below + sharing[l];
    if (members > below) chain.push_back({ZoneKey{static_cast<uint8_t>(l), Prefix(me, l)}, std::get<2>(best[l]), members, {}});
    below = members;
  }
  // What lies right under the zones self represents.
  for (size_t z = 1; z < chain.size(); ++z) {
    if (chain[z].rep != self) continue;
    std::vector<uint64_t> members;
    for (const auto& [s, position] : shared) {
      if (s >= chain[z].zone.level) members.push_back(position);
    }
    std::sort(members.begin(), members.end());
    chain[z].children = Children(members, chain[z].zone.level);
  }
  return chain;
}

}  // namespace shoal::gossip
