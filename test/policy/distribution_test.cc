// Pool-wide policy push on the simulated pool: a push to any node reaches
// every node, a bad document is refused whole, simultaneous pushes settle on
// one winner, and a node that was down catches up.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "gossip/sim_pool.h"
#include "policy/distribution.h"

using namespace shoal;
using namespace shoal::policy;
using namespace std::chrono_literals;

namespace {

std::string Example(const char* name) {
  std::ifstream in(std::string(SHOAL_SOURCE_DIR "/examples/policies/") + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct PushPool {
  gossip::SimPool pool;
  std::vector<PolicyDistributor*> nodes;

  explicit PushPool(size_t n, PolicyDistributor::Options options = {}) : pool(Options(n)), nodes(n, nullptr) {
    pool.AddComponent([this, options](size_t i, gossip::Gossiper& g,
                                      gossip::PeerStreams& streams) -> std::function<void()> {
      auto random = std::make_shared<Random>(1000 + i);
      auto wall = [this] {
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(pool.clock().Now().time_since_epoch()).count());
      };
      auto d = std::make_shared<PolicyDistributor>(options, g, streams, *random, wall);
      REQUIRE(d->Register().ok());
      nodes[i] = d.get();
      return [d, random] { d->Tick(); };
    });
    pool.Start();
  }

  static gossip::SimPoolOptions Options(size_t n) {
    gossip::SimPoolOptions o;
    o.nodes = n;
    o.config = gossip::GossipConfig::Lan();
    o.seed = 9;
    return o;
  }

  // Runs until every running node has `v` (or `limit` passes); returns the time it took.
  Duration RunUntilEveryone(const PolicyVersion& v, Duration limit = 10s) {
    const TimePoint start = pool.clock().Now();
    while (pool.clock().Now() - start < limit) {
      bool all = true;
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (pool.running(i) && nodes[i]->active_version() != v) all = false;
      }
      if (all) return pool.clock().Now() - start;
      pool.RunFor(5ms);
    }
    return limit;
  }
};

}  // namespace

TEST_CASE("Policy push: every node runs the pushed document within a second") {
  PushPool p(32);
  p.pool.RunFor(3s);
  auto v = p.nodes[5]->Push(Example("full.xml"));
  REQUIRE(v.ok());
  REQUIRE(v->origin == p.pool.id(5));
  Duration took = p.RunUntilEveryone(*v);
  INFO("took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  REQUIRE(took < 1s);
  for (auto* d : p.nodes) {
    REQUIRE(d->active()->mode == Mode::kEnforce);  // the mode travels with the document
    REQUIRE(d->active_text() == Example("full.xml"));
  }
  // Every node reports every node's version.
  auto versions = p.nodes[0]->Versions();
  p.pool.RunFor(500ms);
  versions = p.nodes[0]->Versions();
  REQUIRE(versions.size() == 32);
  for (const auto& [id, version] : versions) REQUIRE(version == *v);
}

TEST_CASE("Policy push: a document with errors is refused whole and changes nothing") {
  PushPool p(8);
  p.pool.RunFor(2s);
  auto good = p.nodes[0]->Push(Example("small.xml"));
  REQUIRE(good.ok());
  p.RunUntilEveryone(*good);
  auto bad = p.nodes[3]->Push("<shoal-policy>\n<pipe name=\"x\" out=\"fast\"/>\n<policy application=\"nope\"/>\n</shoal-policy>");
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::Contains("policy:2:1: <pipe>: out: \"fast\" is not a rate"));
  REQUIRE(p.nodes[3]->counters().refused_pushes == 1);
  p.pool.RunFor(2s);
  for (auto* d : p.nodes) REQUIRE(d->active_version() == *good);
}

TEST_CASE("Policy push: the receiving node refuses a booking larger than the pool it sees") {
  PolicyDistributor::Options options;
  options.pool_millicores = [] { return std::optional<double>(4000); };
  PushPool p(4, options);
  p.pool.RunFor(2s);
  const std::string doc =
      "<shoal-policy>\n<application name=\"db\"><process name=\"pg\"/></application>\n"
      "<policy application=\"db\"><cpu cores=\"8\"/></policy>\n</shoal-policy>\n";
  auto refused = p.nodes[1]->Push(doc);
  REQUIRE_FALSE(refused.ok());
  REQUIRE_THAT(refused.error().message, Catch::Contains("books 8 cores; the whole pool has 4"));
  REQUIRE(p.nodes[1]->active_version().empty());
}

TEST_CASE("Policy push: two pushes at once settle on the same winner everywhere") {
  PushPool p(24);
  p.pool.RunFor(2s);
  auto a = p.nodes[3]->Push(Example("small.xml"));
  auto b = p.nodes[20]->Push(Example("full.xml"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(*a != *b);
  PolicyVersion winner = std::max(*a, *b);
  REQUIRE(p.RunUntilEveryone(winner) < 2s);
  p.pool.RunFor(1s);
  for (auto* d : p.nodes) REQUIRE(d->active_version() == winner);
}

TEST_CASE("Policy push: a node that was down catches up when it returns") {
  PushPool p(12);
  p.pool.RunFor(2s);
  p.pool.Crash(7);
  auto v = p.nodes[1]->Push(Example("small.xml"));
  REQUIRE(v.ok());
  p.RunUntilEveryone(*v);
  p.pool.Restart(7);  // a fresh process with nothing stored
  REQUIRE(p.nodes[7]->active_version().empty());
  REQUIRE(p.RunUntilEveryone(*v, 5s) < 5s);
  REQUIRE(p.nodes[7]->active_text() == Example("small.xml"));
  // A later push is stamped above every version seen, even from a node whose clock lags.
  auto next = p.nodes[7]->Push(Example("full.xml"));
  REQUIRE(next.ok());
  REQUIRE(*next > *v);
}

TEST_CASE("Policy announcements round trip and refuse junk") {
  PolicyAnnouncement a{PolicyVersion{(1234ull << 16) | 7, NodeId{99}}, DigestOf("doc"), 3};
  auto back = DecodeAnnouncement(EncodeAnnouncement(a));
  REQUIRE(back.has_value());
  REQUIRE(back->version == a.version);
  REQUIRE(back->digest == a.digest);
  REQUIRE(back->size == 3);
  REQUIRE_FALSE(DecodeAnnouncement("short").has_value());
  REQUIRE_FALSE(DecodeAnnouncement(std::string(52, '\0')).has_value());  // version 0
  REQUIRE(a.version.ToString() == "1234.7@0000000000000063");
}
