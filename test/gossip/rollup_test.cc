// The roll-up's tree (gossip/rollup_tree.h) and the roll-up on the
// simulated network (gossip/rollup.h): parts here are counts, merged by
// adding, so the pool's whole is the number of nodes whose parts it holds.
// Virtual time only.
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "core/random.h"
#include "gossip/rollup.h"
#include "gossip/sim/sim_pool.h"
#include "rollup.pb.h"
#include "test/gossip/sim_scenario.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace shoal::gossip::testing;

namespace {

std::vector<NodeId> Ids(size_t n, uint64_t seed) {
  Random r(seed);
  std::vector<NodeId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(NodeId{r.Next() | 1});
  return ids;
}

// Every node's roll-up in a simulated pool, with the last whole any node
// handed over and who did. A part is a count, followed by `pad` bytes (to
// make parts as large as a pool's figures).
struct CountingPool {
  SimPool pool;
  std::vector<Rollup*> rollups;
  std::string whole;
  size_t whole_from = SIZE_MAX;
  std::vector<std::vector<std::string>> heard_down;  // per node, every version heard down the tree
  size_t pad = 0;

  explicit CountingPool(size_t nodes, size_t pad_bytes = 0)
      : pool(Options(nodes, 0.0, 4)), rollups(nodes, nullptr), heard_down(nodes), pad(pad_bytes) {
    pool.AddComponent([this](size_t i, Gossiper& g, PeerStreams& streams) {
      RollupConfig c;
      auto r = std::make_shared<Rollup>(
          c, g, streams, pool.clock(),
          [this](std::span<const std::string* const> parts) {
            uint64_t sum = 0;
            for (const std::string* p : parts) sum += std::stoull(*p);
            return Part(sum);
          },
          [this, i](const std::string& w) {
            whole = w;
            whole_from = i;
          });
      r->SetOwn(Part(1));
      r->SetDown([this, i](const std::string& bytes) { heard_down[i].push_back(bytes); });
      rollups[i] = r.get();
      return std::function<void()>([r] { r->Tick(); });
    });
    pool.StartFormed();
  }
  // Runs until the whole counts `n`; returns how long it took.
  std::optional<Duration> RunUntilWhole(size_t n, Duration limit) {
    const TimePoint start = pool.clock().Now();
    while (pool.clock().Now() - start < limit) {
      pool.RunFor(std::chrono::milliseconds(50));
      if (whole == Part(n)) return pool.clock().Now() - start;
    }
    return std::nullopt;
  }
  std::string Part(uint64_t count) const {
    return pad == 0 ? std::to_string(count) : fmt::format("{} {:.>{}}", count, "", pad);
  }
};

}  // namespace

TEST_CASE("every node computes the same roll-up tree from the same live set", "[rollup]") {
  for (size_t n : {1, 2, 9, 300, 3000}) {
    for (const bool with_barred : {false, true}) {
      CAPTURE(n, with_barred);
      const std::vector<NodeId> ids = Ids(n, n);
      std::vector<NodeId> barred;  // suspected: a tenth of the pool
      if (with_barred) {
        for (size_t i = 0; i < n; i += 10) barred.push_back(ids[i]);
        std::sort(barred.begin(), barred.end());
      }
      std::map<ZoneKey, std::vector<NodeId>> under_reps;  // as the zone's representative computes them
      std::map<ZoneKey, NodeId> rep;                    // as every member computes it
      std::map<ZoneKey, size_t> members;
      std::map<ZoneKey, std::vector<ZoneKey>> under;   // as its representative computes it
      std::set<std::pair<ZoneKey, ZoneKey>> links;      // (zone, the zone above it)
      size_t tallest = 0;
      for (NodeId self : ids) {
        const std::vector<ZoneLink> chain = ZoneChain(self, ids, barred);
        REQUIRE(chain.front().zone.level == ZoneKey::kLeafLevel);
        REQUIRE(chain.front().rep == self);
        REQUIRE(chain.back().members == n);
        tallest = std::max(tallest, chain.size() - 1);
        for (size_t z = 0; z < chain.size(); ++z) {
          const ZoneLink& link = chain[z];
          auto [it, fresh] = rep.emplace(link.zone, link.rep);
          REQUIRE(it->second == link.rep);
          members[link.zone] = link.members;
          if (link.rep == self && z > 0) {
            under[link.zone] = link.children;
            under_reps[link.zone] = link.child_reps;
          }
          if (z + 1 < chain.size()) {
            links.emplace(link.zone, chain[z + 1].zone);
            REQUIRE(chain[z + 1].members > link.members);  // every zone in the tree splits
          }
        }
      }
      // The zones right under a zone, as its representative sees them, are
      // exactly the zones whose members have it next above.
      std::map<ZoneKey, std::set<ZoneKey>> below;
      for (const auto& [zone, above] : links) below[above].insert(zone);
      for (const auto& [zone, list] : under) {
        REQUIRE(std::set<ZoneKey>(list.begin(), list.end()) == below[zone]);
        size_t sum = 0;
        for (const ZoneKey& c : list) sum += members.at(c);
        REQUIRE(sum == members.at(zone));
        // Its representative knows who represents each of them: what comes
        // down the tree goes there.
        REQUIRE(under_reps.at(zone).size() == list.size());
        for (size_t i = 0; i < list.size(); ++i) REQUIRE(under_reps.at(zone)[i] == rep.at(list[i]));
      }
      // No node represents the upper levels of every subtree.
      if (n >= 300) {
        std::map<NodeId, size_t> held;
        for (const auto& [zone, r] : rep) {
          if (zone.level != ZoneKey::kLeafLevel) ++held[r];
        }
        size_t most = 0;
        for (const auto& [id, k] : held) most = std::max(most, k);
        CHECK(most <= 4);
      }
      // About log8(n) zones above a node.
      CHECK(static_cast<double>(tallest) <= std::log(static_cast<double>(n)) / std::log(8.0) + 4);
    }
  }
}

TEST_CASE("a change in membership moves few representations", "[rollup]") {
  std::vector<NodeId> ids = Ids(1000, 77);
  auto reps = [](const std::vector<NodeId>& live) {
    std::map<ZoneKey, NodeId> rep;
    for (NodeId self : live) {
      for (const ZoneLink& l : ZoneChain(self, live)) rep[l.zone] = l.rep;
    }
    return rep;
  };
  const auto before = reps(ids);
  ids.erase(ids.begin() + 500);  // one node fails
  const auto after = reps(ids);
  size_t moved = 0;
  for (const auto& [zone, r] : after) {
    if (zone.level == ZoneKey::kLeafLevel) continue;
    auto it = before.find(zone);
    if (it == before.end() || it->second != r) ++moved;
  }
  CHECK(moved <= 6);
}

TEST_CASE("the roll-up brings every node's part to the pool's representative, and drops the failed", "[rollup]") {
  CountingPool p(64);
  auto took = p.RunUntilWhole(64, std::chrono::seconds(5));
  REQUIRE(took.has_value());
  CHECK(*took < std::chrono::seconds(2));
  REQUIRE(p.rollups[p.whole_from]->represents_pool());
  size_t representing = 0;
  for (Rollup* r : p.rollups) representing += r->represents_pool();
  CHECK(representing == 1);
  // The pool's representative crashes: once the others suspect it, a new
  // one takes its zones. Waiting for the membership to declare it failed
  // (1.2 s here) and the climb of the parts (2 levels at 250 ms) took 1.8 s.
  const size_t top = p.whole_from;
  const Duration suspect = p.pool.node((top + 1) % 64).membership().suspect_timeout();
  p.pool.Crash(top);
  p.whole.clear();
  took = p.RunUntilWhole(63, std::chrono::seconds(8));
  REQUIRE(took.has_value());
  CHECK(*took < suspect + std::chrono::milliseconds(800));
  CHECK(p.whole_from != top);
  // Another crashes: counted out once the membership has noticed.
  const size_t other = (top + 7) % 64;
  p.pool.Crash(other);
  took = p.RunUntilWhole(62, std::chrono::seconds(8));
  REQUIRE(took.has_value());
  CHECK(*took < std::chrono::seconds(5));
  // While the views of the membership differed some parts were refused;
  // once they agree, none are.
  auto refused = [&] {
    uint64_t n = 0;
    for (size_t i = 0; i < 64; ++i) n += i == top || i == other ? 0 : p.rollups[i]->counters().refused;
    return n;
  };
  p.pool.RunFor(std::chrono::seconds(2));
  const uint64_t settled = refused();
  p.pool.RunFor(std::chrono::seconds(3));
  CHECK(refused() == settled);
  CHECK(p.whole == "62");
}

TEST_CASE("a roll-up part that is malformed or meant for another node is refused and counted", "[rollup]") {
  CountingPool p(16);
  REQUIRE(p.RunUntilWhole(16, std::chrono::seconds(5)).has_value());
  const size_t top = p.whole_from;
  const size_t caller = (top + 1) % 16;
  auto call = [&](std::string request) {
    std::optional<Result<std::string>> got;
    p.pool.streams(caller).Call(p.pool.node(top).identity().advertise, StreamService::kRollup, std::move(request),
                                std::chrono::seconds(1), [&](Result<std::string> r) { got = std::move(r); });
    p.pool.RunFor(std::chrono::milliseconds(100));
    REQUIRE(got.has_value());
    return *got;
  };
  const uint64_t refused = p.rollups[top]->counters().refused;
  auto bad = call("\xff\xff not a part");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("malformed") != std::string::npos);
  wire::RollupPart part;
  part.set_parent_level(3);
  part.set_parent_prefix(0x1234);
  part.set_child_level(ZoneKey::kLeafLevel);
  part.set_child_prefix(42);
  part.set_part("1000000");
  auto elsewhere = call(part.SerializeAsString());
  REQUIRE_FALSE(elsewhere.ok());
  CHECK(elsewhere.error().message.find("does not represent") != std::string::npos);
  CHECK(p.rollups[top]->counters().refused == refused + 2);
  p.pool.RunFor(std::chrono::seconds(1));
  CHECK(p.whole == "16");  // nothing counted twice
}

TEST_CASE("what the pool's representative sends down the tree reaches every other node once per version, at once",
          "[rollup]") {
  CountingPool p(64);
  REQUIRE(p.RunUntilWhole(64, std::chrono::seconds(5)).has_value());
  p.pool.RunFor(std::chrono::seconds(1));  // every node's part held by its zone's representative
  const size_t top = p.whole_from;
  auto everyone_heard = [&](const std::vector<std::string>& versions) {
    size_t n = 0;
    for (size_t i = 0; i < 64; ++i) n += i != top && p.pool.running(i) && p.heard_down[i] == versions;
    return n;
  };
  p.rollups[top]->SendDown("levels 1");
  p.pool.RunFor(std::chrono::milliseconds(50));  // a few stream calls deep, no gossip round
  CHECK(everyone_heard({"levels 1"}) == 63);
  CHECK(p.heard_down[top].empty());  // the sender has them already
  p.rollups[top]->SendDown("levels 2");
  p.pool.RunFor(std::chrono::milliseconds(50));
  CHECK(everyone_heard({"levels 1", "levels 2"}) == 63);
  // The same bytes again are no new version: nothing is sent.
  const uint64_t sent = p.rollups[top]->counters().down_sent;
  p.rollups[top]->SendDown("levels 2");
  p.pool.RunFor(std::chrono::milliseconds(50));
  CHECK(p.rollups[top]->counters().down_sent == sent);
  CHECK(everyone_heard({"levels 1", "levels 2"}) == 63);

  // A version that is not newer, or not from the node this one holds to
  // represent the pool, is ignored.
  const size_t other = (top + 1) % 64;
  const uint64_t ignored = p.rollups[other]->counters().down_ignored;
  auto send = [&](uint64_t from, uint64_t seq, uint64_t boot = 0, std::string bytes = "forged") {
    wire::RollupPart down;
    down.set_down_from(from);
    down.set_down_seq(seq);
    down.set_down_boot(boot);
    down.set_down(std::move(bytes));
    p.pool.streams((top + 2) % 64).Call(p.pool.node(other).identity().advertise, StreamService::kRollup,
                                        down.SerializeAsString(), std::chrono::seconds(1), [](Result<std::string>) {});
    p.pool.RunFor(std::chrono::milliseconds(50));
  };
  const uint64_t boot = p.pool.node(top).identity().boot;
  send(p.pool.id(top).value, 1);                      // older, and from no boot (an older build)
  send(p.pool.id(top).value, 1, boot);                // older in the same run
  send(p.pool.id((top + 3) % 64).value, UINT64_MAX);  // not the pool's representative
  CHECK(p.rollups[other]->counters().down_ignored == ignored + 3);
  CHECK(p.heard_down[other].back() == "levels 2");
  // Its host restarted: its clock, and so its numbers, begin again lower,
  // under a higher boot counter. Taken at once, and passed on.
  send(p.pool.id(top).value, 1, boot + 1, "after a restart");
  CHECK(p.rollups[other]->counters().down_ignored == ignored + 3);
  CHECK(p.heard_down[other].back() == "after a restart");
  send(p.pool.id(top).value, UINT64_MAX, boot);  // the earlier run's, however high its number
  CHECK(p.heard_down[other].back() == "after a restart");

  // The representative crashes: its successor's versions reach everyone
  // once the tree has moved.
  p.pool.Crash(top);
  p.whole.clear();
  REQUIRE(p.RunUntilWhole(63, std::chrono::seconds(8)).has_value());
  p.pool.RunFor(std::chrono::seconds(1));
  const size_t next = p.whole_from;
  REQUIRE(next != top);
  for (auto& h : p.heard_down) h.clear();
  p.rollups[next]->SendDown("levels 3");
  p.pool.RunFor(std::chrono::milliseconds(50));
  size_t heard = 0;
  for (size_t i = 0; i < 64; ++i) heard += i != next && p.heard_down[i] == std::vector<std::string>{"levels 3"};
  CHECK(heard == 62);
}

TEST_CASE("a version sent while a representative below the top is down reaches its zone as soon as it is suspected",
          "[rollup]") {
  CountingPool p(64);
  REQUIRE(p.RunUntilWhole(64, std::chrono::seconds(5)).has_value());
  p.pool.RunFor(std::chrono::seconds(1));
  const size_t top = p.whole_from;
  p.rollups[top]->SendDown("levels 1");
  p.pool.RunFor(std::chrono::milliseconds(50));
  // A node that represents a zone of several nodes below the pool's, not
  // the pool's own representative.
  std::vector<NodeId> ids;
  for (size_t i = 0; i < 64; ++i) ids.push_back(p.pool.id(i));
  size_t down = SIZE_MAX;
  std::vector<size_t> zone;  // the other members of the largest zone it represents
  for (size_t i = 0; i < 64 && down == SIZE_MAX; ++i) {
    if (i == top) continue;
    const std::vector<ZoneLink> chain = ZoneChain(ids[i], ids);
    for (size_t z = 1; z + 1 < chain.size(); ++z) {
      if (chain[z].rep != ids[i] || chain[z].members < 4) continue;
      down = i;
      zone.clear();
      for (size_t j = 0; j < 64; ++j) {
        const std::vector<ZoneLink> other = ZoneChain(ids[j], ids);
        if (j != i && std::ranges::any_of(other, [&](const ZoneLink& l) { return l.zone == chain[z].zone; })) {
          zone.push_back(j);
        }
      }
    }
  }
  REQUIRE(down != SIZE_MAX);
  CAPTURE(down, zone.size());
  // It crashes, and the next version goes down at once: it cannot pass it on.
  p.pool.Crash(down);
  p.rollups[top]->SendDown("levels 2");
  const TimePoint sent = p.pool.clock().Now();
  auto suspected_by_all = [&] {
    for (size_t i = 0; i < 64; ++i) {
      if (i == down) continue;
      const auto& s = p.pool.node(i).membership().suspects();
      const bool failed = p.pool.node(i).membership().Find(ids[down]) == nullptr ||
                          p.pool.node(i).membership().Find(ids[down])->state != MemberState::kAlive;
      if (!std::ranges::binary_search(s, ids[down]) && !failed) return false;
    }
    return true;
  };
  auto zone_heard = [&] {
    return std::ranges::all_of(zone, [&](size_t j) {
      return !p.heard_down[j].empty() && p.heard_down[j].back() == "levels 2";
    });
  };
  std::optional<TimePoint> suspected, heard;
  while (p.pool.clock().Now() - sent < std::chrono::seconds(10) && !(suspected && heard)) {
    p.pool.RunFor(std::chrono::milliseconds(10));
    if (!suspected && suspected_by_all()) suspected = p.pool.clock().Now();
    if (!heard && zone_heard()) heard = p.pool.clock().Now();
  }
  REQUIRE(suspected.has_value());
  REQUIRE(heard.has_value());
  const auto ms = [&](TimePoint t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t - sent).count(); };
  CAPTURE(ms(*suspected), ms(*heard));
  // The zones under it move to their new representatives as the pool
  // suspects it, and those hear what they missed from above at once, not
  // once their first parts have come up: within a tick of the last node
  // suspecting it (the tree moves on a tick), its whole zone has heard
  // (850 against 830 ms here; 990 when a representative passed versions
  // only to the nodes whose parts it held, not yet to a zone it had just
  // taken over).
  CHECK(*heard <= *suspected + p.pool.options().config.period + std::chrono::milliseconds(10));
}

TEST_CASE("a large part goes up as a delta from the one its receiver holds, and whole when it holds another",
          "[rollup]") {
  CountingPool p(16, 600);
  auto total = [&](uint64_t RollupCounters::*field) {
    uint64_t n = 0;
    for (Rollup* r : p.rollups) n += r->counters().*field;
    return n;
  };
  REQUIRE(p.RunUntilWhole(16, std::chrono::seconds(5)).has_value());
  p.pool.RunFor(std::chrono::seconds(1));
  const uint64_t wire_before = total(&RollupCounters::bytes_received);
  const uint64_t parts_before = total(&RollupCounters::part_bytes_received);
  for (Rollup* r : p.rollups) r->SetOwn(p.Part(2));
  REQUIRE(p.RunUntilWhole(32, std::chrono::seconds(3)).has_value());
  CHECK(total(&RollupCounters::deltas_sent) > 0);
  CHECK(total(&RollupCounters::deltas_received) == total(&RollupCounters::deltas_sent));
  CHECK(total(&RollupCounters::deltas_refused) == 0);
  // Once every receiver holds a part, what travels is a tenth of the parts.
  CHECK((total(&RollupCounters::bytes_received) - wire_before) * 10 <
        total(&RollupCounters::part_bytes_received) - parts_before);

  // Someone else's part for a zone under the pool's: the representative
  // now holds another base for it, refuses the next delta from the zone's
  // own representative, and takes its whole part after that.
  const size_t top = p.whole_from;
  std::vector<NodeId> live;
  for (size_t i = 0; i < 16; ++i) live.push_back(p.pool.id(i));
  const ZoneLink pool_zone = ZoneChain(p.pool.id(top), live).back();
  size_t k = 0;
  while (k < pool_zone.child_reps.size() && pool_zone.child_reps[k] == p.pool.id(top)) ++k;
  REQUIRE(k < pool_zone.children.size());
  wire::RollupPart forged;
  forged.set_parent_level(pool_zone.zone.level);
  forged.set_parent_prefix(pool_zone.zone.prefix);
  forged.set_child_level(pool_zone.children[k].level);
  forged.set_child_prefix(pool_zone.children[k].prefix);
  forged.set_part(p.Part(1000));
  p.pool.streams((top + 1) % 16).Call(p.pool.node(top).identity().advertise, StreamService::kRollup,
                                      forged.SerializeAsString(), std::chrono::seconds(1), [](Result<std::string>) {});
  p.pool.RunFor(std::chrono::milliseconds(300));
  CHECK(p.whole != p.Part(32));
  REQUIRE(p.RunUntilWhole(32, std::chrono::seconds(3)).has_value());
  CHECK(p.rollups[top]->counters().deltas_refused >= 1);
}
