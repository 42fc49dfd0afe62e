// Snapshot epochs on the simulated pool: everyone installs the same frozen
// view, the next node takes over when the leader dies, and two leaders of a
// partition settle on one when it heals.
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "gossip/sim/sim_pool.h"
#include "gossip/snapshot.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kStatus = 7;

struct Installed {
  NodeId leader;
  std::string content;  // a digest of the channels, to compare nodes
  std::set<size_t> nodes;
};

std::string Digest(const Snapshot& s) {
  std::string out;
  for (const auto& [code, entries] : s.channels) {
    for (const auto& [origin, e] : entries) {
      out += std::to_string(code) + ":" + origin.ToString() + "@" + std::to_string(e.version) + "=" +
             e.payload + ";";
    }
  }
  return out;
}

struct SnapshotPool {
  SimPool pool;
  std::vector<SnapshotService*> services;
  std::map<uint64_t, Installed> epochs;
  bool disagreement = false;

  explicit SnapshotPool(size_t n) : pool(Options(n)), services(n, nullptr) {
    pool.AddChannels([](size_t i, Gossiper& g) {
      auto counter = std::make_shared<int>(0);
      REQUIRE(g.RegisterChannel(ChannelSpec{kStatus, "status", 200ms, 64, kSnapshot},
                                [i, counter] {
                                  return std::optional<std::string>("node" + std::to_string(i) + "-" +
                                                                    std::to_string((*counter)++ / 5));
                                },
                                nullptr)
                  .ok());
    });
    pool.AddComponent([this](size_t i, Gossiper& g, PeerStreams& streams) -> std::function<void()> {
      SnapshotConfig config;
      config.period = 500ms;
      auto s = std::make_shared<SnapshotService>(config, g, streams, pool.clock());
      services[i] = s.get();
      s->SetListener([this, i](const Snapshot& snap) {
        auto& e = epochs[snap.epoch];
        std::string d = Digest(snap);
        if (e.nodes.empty()) {
          e.leader = snap.leader;
          e.content = d;
        } else if (e.leader == snap.leader && e.content != d) {
          disagreement = true;  // one epoch of one leader must be one content
        }
        if (e.leader == snap.leader) e.nodes.insert(i);
      });
      return [s] { s->Tick(); };
    });
    pool.Start();
  }

  static SimPoolOptions Options(size_t n) {
    SimPoolOptions o;
    o.nodes = n;
    o.config = GossipConfig::Lan();
    o.seed = 4;
    return o;
  }

  // Epochs of `leader` taken in (from, to) that every node in `who` installed.
  size_t CompleteEpochs(NodeId leader, const std::set<size_t>& who) const {
    size_t complete = 0;
    for (const auto& [epoch, e] : epochs) {
      if (e.leader != leader) continue;
      bool all = true;
      for (size_t i : who) all = all && e.nodes.count(i) == 1;
      if (all) ++complete;
    }
    return complete;
  }
};

std::set<size_t> Range(size_t from, size_t to) {
  std::set<size_t> s;
  for (size_t i = from; i < to; ++i) s.insert(i);
  return s;
}

}  // namespace

TEST_CASE("Snapshot epochs: every node installs the leader's same frozen view") {
  SnapshotPool p(32);
  p.pool.RunFor(5s);
  // The lowest id leads; once everyone has joined, every epoch (deltas
  // included) reaches all 32 nodes, with the same content.
  REQUIRE(p.services[0]->leading());
  for (size_t i = 1; i < 32; ++i) REQUIRE_FALSE(p.services[i]->leading());
  const uint64_t from = p.services[0]->current()->epoch;
  p.pool.RunFor(4s);
  const uint64_t to = p.services[0]->current()->epoch;
  REQUIRE(to >= from + 6);
  for (uint64_t e = from + 1; e < to; ++e) {
    INFO("epoch " << e);
    REQUIRE(p.epochs.at(e).nodes.size() == 32);
  }
  REQUIRE_FALSE(p.disagreement);
  for (size_t i = 0; i < 32; ++i) {
    REQUIRE(p.services[i]->fresh());
    const Snapshot* s = p.services[i]->current();
    REQUIRE(s != nullptr);
    REQUIRE(s->members.size() == 32);
    REQUIRE(s->channels.at(kStatus).size() == 32);  // everyone's status is in it
  }
  // The leader sends 4 copies an epoch, not 31.
  REQUIRE(p.services[0]->counters().forwarded <= 4 * p.services[0]->counters().installed);
}

TEST_CASE("Snapshot epochs: deltas carry only what changed, and a node that missed one waits for a full epoch") {
  SnapshotPool p(8);
  p.pool.RunFor(5s);
  // The status payloads change every 5 publications (1 s): most epochs are
  // small deltas; node 5 stalls through a few epochs and catches up.
  p.pool.Stall(5, 1200ms);
  p.pool.RunFor(8s);
  REQUIRE_FALSE(p.disagreement);
  REQUIRE(p.services[5]->counters().missing_base >= 1);
  REQUIRE(p.services[5]->fresh());
  REQUIRE(Digest(*p.services[5]->current()) == Digest(*p.services[0]->current()));
}

TEST_CASE("Snapshot epochs: the next node takes over when the leader dies, numbering on") {
  SnapshotPool p(16);
  p.pool.RunFor(6s);
  const uint64_t before = p.services[1]->current()->epoch;
  p.pool.Crash(0);
  p.pool.RunFor(6s);
  REQUIRE(p.services[1]->leading());
  const Snapshot* s = p.services[5]->current();
  REQUIRE(s->leader == p.pool.id(1));
  REQUIRE(s->epoch > before);
  REQUIRE(s->members.size() == 15);
  REQUIRE(p.CompleteEpochs(p.pool.id(1), Range(1, 16)) >= 4);
  REQUIRE_FALSE(p.disagreement);
}

TEST_CASE("Snapshot epochs: two leaders of a partition settle on one after it heals") {
  SnapshotPool p(16);
  p.pool.RunFor(5s);
  for (size_t i = 8; i < 16; ++i) p.pool.network().SetGroup(p.pool.node(i).identity().advertise, 1);
  p.pool.RunFor(8s);
  REQUIRE(p.services[0]->leading());
  REQUIRE(p.services[8]->leading());  // the lowest id on its side
  REQUIRE(p.services[12]->current()->leader == p.pool.id(8));
  p.pool.network().Heal();
  p.pool.RunFor(10s);
  REQUIRE_FALSE(p.services[8]->leading());
  for (size_t i = 0; i < 16; ++i) {
    REQUIRE(p.services[i]->current()->leader == p.pool.id(0));
    REQUIRE(p.services[i]->fresh());
  }
  REQUIRE_FALSE(p.disagreement);
}
