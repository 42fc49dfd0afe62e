#include <algorithm>
#include <map>

#include <catch2/catch.hpp>

#include "core/random.h"
#include "gossip/payload.h"
#include "gossip/peer_index.h"
#include "gossip/slot_map.h"

using namespace shoal;
using namespace shoal::gossip;

TEST_CASE("peer index: one slot per id while anyone holds it, reused once free, bounded") {
  PeerIndex index(3);
  const uint32_t a = index.Acquire(NodeId{10});
  REQUIRE(index.Acquire(NodeId{10}) == a);  // a second holder, same slot
  const uint32_t b = index.Acquire(NodeId{20});
  REQUIRE(b != a);
  REQUIRE(index.Find(NodeId{20}) == b);
  REQUIRE(index.IdOf(b) == NodeId{20});
  REQUIRE(index.Acquire(NodeId{30}) != PeerIndex::kNone);
  REQUIRE(index.Acquire(NodeId{40}) == PeerIndex::kNone);  // three held: full
  index.Release(a);
  REQUIRE(index.Find(NodeId{10}) == a);  // still one holder
  index.Release(a);
  REQUIRE(index.Find(NodeId{10}) == PeerIndex::kNone);
  REQUIRE(index.Acquire(NodeId{40}) == a);  // the freed slot
  REQUIRE(index.slots() == 3);
  REQUIRE(index.held() == 3);
}

TEST_CASE("peer index: lookups agree with a plain map through growth and heavy churn") {
  // Small ids crowd a few homes and runs wrap around the table's end, so
  // removals from the middle of long runs are exercised.
  PeerIndex index(5000);
  std::map<uint64_t, uint32_t> model;
  Random random(7);
  for (int step = 0; step < 200000; ++step) {
    const uint64_t id = 1 + random.Below(step < 100000 ? 6000 : 300);
    if (auto it = model.find(id); it != model.end()) {
      REQUIRE(index.Find(NodeId{id}) == it->second);
      index.Release(it->second);
      model.erase(it);
      REQUIRE(index.Find(NodeId{id}) == PeerIndex::kNone);
    } else {
      const uint32_t slot = index.Acquire(NodeId{id});
      if (model.size() >= 5000) {
        REQUIRE(slot == PeerIndex::kNone);
        continue;
      }
      REQUIRE(slot != PeerIndex::kNone);
      model[id] = slot;
    }
    if (step % 997 == 0) {
      for (const auto& [held, slot] : model) REQUIRE(index.Find(NodeId{held}) == slot);
    }
  }
  REQUIRE(index.held() == model.size());
  for (const auto& [held, slot] : model) REQUIRE(index.Find(NodeId{held}) == slot);
  // Id 0 names no node: never held.
  REQUIRE(index.Acquire(NodeId{0}) == PeerIndex::kNone);
  REQUIRE(index.Find(NodeId{0}) == PeerIndex::kNone);
}

TEST_CASE("slot map: tables share the index and release their slots") {
  PeerIndex index(100);
  {
    SlotMap<int> x(index), y(index);
    *x.TryEmplace(NodeId{7}).first = 70;
    auto [v, fresh] = x.TryEmplace(NodeId{7});
    REQUIRE_FALSE(fresh);
    REQUIRE(*v == 70);
    *y.TryEmplace(NodeId{7}).first = 700;
    *y.TryEmplace(NodeId{8}).first = 800;
    REQUIRE(*x.Find(NodeId{7}) == 70);  // same slot, separate values
    REQUIRE(x.Find(NodeId{8}) == nullptr);
    REQUIRE(y.size() == 2);
    REQUIRE(x.Erase(NodeId{7}));
    REQUIRE(index.Find(NodeId{7}) != PeerIndex::kNone);  // y still holds it
    int sum = 0;
    y.ForEach([&](NodeId, int value) { sum += value; });
    REQUIRE(sum == 1500);
    // Growth keeps every value.
    for (uint64_t i = 100; i < 150; ++i) *y.TryEmplace(NodeId{i}).first = 1;
    REQUIRE(y.size() == 52);
    REQUIRE(*y.Find(NodeId{8}) == 800);
  }
  REQUIRE(index.held() == 0);  // every slot released with the tables
}

TEST_CASE("slot map: a few ids are a short list, more make the array, both agree with a plain map") {
  PeerIndex index(4000);
  Random random(3);
  for (int round = 0; round < 40; ++round) {
    SlotMap<uint64_t> table(index);
    std::map<uint64_t, uint64_t> model;  // id -> value
    const uint64_t ids = round % 2 == 0 ? 8 : 3000;  // stays within the short list, or not
    for (int step = 0; step < 3000; ++step) {
      const uint64_t id = 1 + random.Below(ids);
      if (random.Chance(0.3) && model.count(id)) {
        REQUIRE(table.Erase(NodeId{id}));
        model.erase(id);
      } else {
        auto [v, fresh] = table.TryEmplace(NodeId{id});
        REQUIRE(fresh == (model.count(id) == 0));
        *v = step;
        model[id] = static_cast<uint64_t>(step);
      }
      if (step % 101 == 0) {
        // Every value found, in slot order, and erasing while walking works.
        std::vector<uint32_t> slots;
        table.ForEach([&](NodeId id_seen, uint64_t value) {
          REQUIRE(model.at(id_seen.value) == value);
          slots.push_back(table.SlotOf(id_seen));
        });
        REQUIRE(slots.size() == model.size());
        REQUIRE(std::is_sorted(slots.begin(), slots.end()));
      }
    }
    REQUIRE(table.size() == model.size());
    for (const auto& [id, value] : model) REQUIRE(*table.Find(NodeId{id}) == value);
    size_t erased = 0;
    table.ForEachMutable([&](NodeId id, uint32_t slot, uint64_t&) {
      if (id.value % 2 == 0) erased += table.EraseSlot(slot) ? 1 : 0;
    });
    size_t even = 0;
    for (const auto& [id, value] : model) even += id % 2 == 0 ? 1 : 0;
    REQUIRE(erased == even);
    REQUIRE(table.size() == model.size() - even);
  }
  REQUIRE(index.held() == 0);
}

TEST_CASE("payloads: shared bytes, counted references") {
  Payload a("hello");
  REQUIRE(a == "hello");
  REQUIRE(a.size() == 5);
  Payload b = a;
  REQUIRE(a.shares() == 2);
  b = Payload("other");
  REQUIRE(a.shares() == 1);
  REQUIRE(b.view() == "other");
  Payload empty;
  REQUIRE(empty.empty());
  REQUIRE(empty == "");
}

TEST_CASE("payload cache hands out the same version's bytes once, never a wrong one") {
  PayloadCache cache(2);
  Payload a = cache.Intern(NodeId{1}, 10, 5, "v5");
  Payload b = cache.Intern(NodeId{1}, 10, 5, "v5");
  REQUIRE(a.shares() == 3);  // a, b and the cache
  // Same key, different bytes (a forgery, or a restart reusing a version):
  // its own bytes, not the cached ones.
  REQUIRE(cache.Intern(NodeId{1}, 10, 5, "evil") == "evil");
  REQUIRE(cache.Intern(NodeId{1}, 10, 4, "v4") == "v4");  // older: not cached
  Payload c = cache.Intern(NodeId{1}, 10, 6, "v6");  // newer replaces
  REQUIRE(a.shares() == 2);
  REQUIRE(cache.Intern(NodeId{1}, 10, 6, "v6").shares() == 3);
  cache.Intern(NodeId{2}, 10, 1, "x");
  REQUIRE(cache.size() == 2);
  REQUIRE(cache.Intern(NodeId{3}, 10, 1, "y").shares() == 1);  // full: not kept
  REQUIRE(cache.size() == 2);
}
