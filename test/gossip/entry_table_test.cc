#include <map>

#include <catch2/catch.hpp>

#include "gossip/entry_table.h"

using namespace shoal;
using namespace shoal::gossip;

namespace {
const NodeId kSelf{1};

std::vector<NodeId> DrawAll(EntryTable& t, Random& r) {
  std::vector<NodeId> got;
  t.Draw(kSelf, r, [&](NodeId o, const StoredEntry&) {
    got.push_back(o);
    return true;
  });
  return got;
}
}  // namespace

TEST_CASE("entries are replaced only by newer versions") {
  PeerIndex index(64);
  EntryTable t(index, 8, 2);
  ManualClock c;
  REQUIRE(t.Offer(NodeId{2}, 5, 2, Payload("a"), c.Now()));
  REQUIRE_FALSE(t.Offer(NodeId{2}, 5, 2, Payload("b"), c.Now()));
  REQUIRE_FALSE(t.Offer(NodeId{2}, 4, 2, Payload("c"), c.Now()));
  REQUIRE(t.Find(NodeId{2})->payload == "a");
  REQUIRE(t.Offer(NodeId{2}, 6, 2, Payload("d"), c.Now()));
  REQUIRE(t.Find(NodeId{2})->payload == "d");
}

TEST_CASE("own entry gets a new version only when its payload changes") {
  PeerIndex index(64);
  EntryTable t(index, 8, 2);
  ManualClock c;
  REQUIRE(t.PublishOwn(kSelf, "x", 1000, c.Now()));
  REQUIRE(t.Find(kSelf)->version == 1000);  // the floor (boot << 32 in the Gossiper)
  REQUIRE(t.Find(kSelf)->ttl == 8);
  REQUIRE(t.Find(kSelf)->sends == 2);
  REQUIRE_FALSE(t.PublishOwn(kSelf, "x", 1000, c.Now()));
  REQUIRE(t.PublishOwn(kSelf, "y", 1000, c.Now()));
  REQUIRE(t.Find(kSelf)->version == 1001);
  t.OutbidOwn(kSelf, 5000, c.Now());
  REQUIRE(t.Find(kSelf)->version == 5001);
  t.OutbidOwn(kSelf, 10, c.Now());  // an older copy changes nothing
  REQUIRE(t.Find(kSelf)->version == 5001);
}

TEST_CASE("a learnt entry goes into `sends` packets if it has hops left, the own entry first") {
  PeerIndex index(64);
  EntryTable t(index, 8, 2);
  ManualClock c;
  Random r(3);
  REQUIRE(t.Offer(NodeId{2}, 1, 5, Payload("a"), c.Now()));
  REQUIRE(t.Offer(NodeId{3}, 1, 1, Payload("b"), c.Now()));
  REQUIRE(t.Offer(NodeId{4}, 1, 0, Payload("c"), c.Now()));  // no hops left: kept, not forwarded
  REQUIRE(t.Find(NodeId{3})->sends == 2);
  REQUIRE(t.Find(NodeId{4})->sends == 0);
  REQUIRE(t.PublishOwn(kSelf, "me", 1, c.Now()));
  auto first = DrawAll(t, r);
  REQUIRE(first.size() == 3);
  REQUIRE(first[0] == kSelf);
  REQUIRE(DrawAll(t, r).size() == 3);  // each at most once per packet
  REQUIRE(DrawAll(t, r).empty());
  // A newer version starts over.
  REQUIRE(t.Offer(NodeId{3}, 2, 1, Payload("b2"), c.Now()));
  REQUIRE(DrawAll(t, r) == std::vector<NodeId>{NodeId{3}});
}

TEST_CASE("entries with more sends left go first") {
  PeerIndex index(64);
  EntryTable t(index, 8, 3);
  ManualClock c;
  Random r(4);
  REQUIRE(t.Offer(NodeId{2}, 1, 5, Payload("old news"), c.Now()));
  DrawAll(t, r);
  DrawAll(t, r);  // node 2 has one send left
  REQUIRE(t.Offer(NodeId{3}, 1, 5, Payload("new"), c.Now()));
  std::vector<NodeId> order;
  t.Draw(kSelf, r, [&](NodeId o, const StoredEntry&) {
    order.push_back(o);
    return true;
  });
  REQUIRE(order == std::vector<NodeId>{NodeId{3}, NodeId{2}});
}

TEST_CASE("a spent own entry is re-armed after a random backoff that doubles up to a maximum") {
  PeerIndex index(64);
  EntryTable t(index, 8, 1);
  ManualClock c;
  Random r(11);
  const Duration base = milliseconds(100), max = milliseconds(800);
  REQUIRE(t.PublishOwn(kSelf, "me", 1, c.Now()));
  std::vector<Duration> waits;
  for (int round = 0; round < 7; ++round) {
    REQUIRE(DrawAll(t, r).size() == 1);  // sends once
    REQUIRE(DrawAll(t, r).empty());
    const TimePoint spent = c.Now();
    while (true) {
      t.RearmOwn(kSelf, base, max, c.Now(), r);
      if (t.Find(kSelf)->sends > 0) break;
      c.Advance(milliseconds(1));
      REQUIRE(c.Now() - spent < seconds(2));
    }
    waits.push_back(c.Now() - spent);
  }
  // Round k waits at most base * 2^k, capped at max (plus the 1 ms steps).
  for (size_t k = 0; k < waits.size(); ++k) {
    const Duration limit = std::min(max, base * (1 << k)) + milliseconds(2);
    INFO("round " << k << " waited " << ToMillis(waits[k]) << " ms");
    REQUIRE(waits[k] <= limit);
  }
  // A change resets the backoff and is sent at once.
  REQUIRE(DrawAll(t, r).size() == 1);
  REQUIRE(t.PublishOwn(kSelf, "changed", 1, c.Now()));
  REQUIRE(t.Find(kSelf)->sends == 1);
  // A channel asked every second: not sent again sooner than that.
  REQUIRE(DrawAll(t, r).size() == 1);
  REQUIRE(t.PublishOwn(kSelf, "again", 1, c.Now()));
  REQUIRE(DrawAll(t, r).size() == 1);
  const TimePoint spent = c.Now();
  while (t.Find(kSelf)->sends == 0) {
    t.RearmOwn(kSelf, base, max, c.Now(), r, seconds(1));
    c.Advance(milliseconds(1));
    REQUIRE(c.Now() - spent < seconds(3));
  }
  CHECK(c.Now() - spent >= seconds(1));
  CHECK(c.Now() - spent <= seconds(1) + base + milliseconds(2));
}

TEST_CASE("the draw is a random subset, so truncation does not always favour the same origins") {
  PeerIndex index(64);
  EntryTable t(index, 8, 1);
  ManualClock c;
  Random r(5);
  std::map<uint64_t, int> firsts;
  for (int round = 0; round < 200; ++round) {
    for (uint64_t o = 2; o < 12; ++o) REQUIRE(t.Offer(NodeId{o}, round + 1, 1, Payload("p"), c.Now()));
    int taken = 0;
    t.Draw(kSelf, r, [&](NodeId o, const StoredEntry&) {
      if (taken++ == 0) ++firsts[o.value];
      return taken < 3;
    });
    DrawAll(t, r);  // spend the rest
  }
  REQUIRE(firsts.size() == 10);  // every origin was drawn first sometimes
}

TEST_CASE("version sums follow every change of the tables that share them, wrap-around included") {
  PeerIndex index(64);
  VersionSums sums(index);
  EntryTable a(index, 8, 2, &sums);
  EntryTable b(index, 8, 2, &sums);
  std::vector<EntryTable*> tables{&a, &b};
  ManualClock c;
  Random r(3);
  // What a node sent before VersionSums: a lookup per table.
  auto recount = [&](NodeId id) {
    uint32_t sum = 0;
    for (auto* t : tables) {
      if (const StoredEntry* e = t->Find(id)) sum += static_cast<uint32_t>(e->version) + 1;
    }
    return sum;
  };
  for (int step = 0; step < 20000; ++step) {
    EntryTable& t = *tables[r.Below(2)];
    const NodeId id{1 + r.Below(12)};
    switch (r.Below(4)) {
      case 0:  // versions across the 32-bit boundary (a boot's high bits)
        t.Offer(id, (uint64_t{1} << 32) - 8 + r.Below(16), 2, Payload("p"), c.Now());
        break;
      case 1:
        t.PublishOwn(id, step % 2 ? "x" : "y", (uint64_t{1} << 32) - 2, c.Now());
        break;
      case 2:
        t.OutbidOwn(id, (uint64_t{1} << 32) + r.Below(4), c.Now());
        break;
      default:
        t.Erase(id);
    }
    for (uint64_t k = 1; k <= 12; ++k) {
      INFO("step " << step << " id " << k);
      REQUIRE(sums.Get(index.Find(NodeId{k})) == recount(NodeId{k}));
    }
  }
  // Nothing held: every slot freed, and a sum for no slot is 0.
  for (uint64_t k = 1; k <= 12; ++k) {
    a.Erase(NodeId{k});
    b.Erase(NodeId{k});
  }
  REQUIRE(index.held() == 0);
  REQUIRE(sums.Get(PeerIndex::kNone) == 0);
}
