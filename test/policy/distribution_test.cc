// Pool-wide policy push on the simulated pool: a push to any node reaches
// every node, a bad document is refused whole, simultaneous pushes settle on
// one winner, and a node that was down catches up.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "gossip/admin_auth.h"
#include "gossip/sim/sim_pool.h"
#include "policy/distribution.h"
#include "test/support/temp_dir.h"

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

// A node's streams that report a connection open to one peer (the
// simulated streams have none) and record whom the node calls.
class ConnectedTo final : public gossip::PeerStreams {
 public:
  explicit ConnectedTo(gossip::PeerStreams& inner) : inner_(inner) {}
  void Serve(gossip::StreamService service, Handler handler) override { inner_.Serve(service, std::move(handler)); }
  void Call(const Endpoint& peer, gossip::StreamService service, std::string request, Duration timeout,
            Reply reply) override {
    called.push_back(peer);
    inner_.Call(peer, service, std::move(request), timeout, std::move(reply));
  }
  bool Connected(const Endpoint& peer) const override { return peer == connected; }
  const gossip::StreamCounters& counters() const override { return inner_.counters(); }
  Endpoint connected;
  std::vector<Endpoint> called;

 private:
  gossip::PeerStreams& inner_;
};

struct PushPool {
  gossip::SimPool pool;
  std::vector<PolicyDistributor*> nodes;
  // Each node's streams as its distributor uses them (none: as they are).
  using Wrap = std::function<gossip::PeerStreams&(size_t i, gossip::PeerStreams& streams)>;
  Wrap wrap;

  explicit PushPool(size_t n, PolicyDistributor::Options options = {})
      : PushPool(n, [options](size_t) { return options; }) {}
  // Each node's options from `options_of(i)`.
  PushPool(size_t n, std::function<PolicyDistributor::Options(size_t)> options_of, uint64_t seed = 9,
           Wrap wrap_streams = {})
      : pool(Options(n, seed)), nodes(n, nullptr), wrap(std::move(wrap_streams)) {
    pool.AddComponent([this, options_of, seed](size_t i, gossip::Gossiper& g,
                                         gossip::PeerStreams& streams) -> std::function<void()> {
      const PolicyDistributor::Options options = options_of(i);
      auto random = std::make_shared<Random>(1000 * seed + i);
      auto wall = [this] {
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(pool.clock().Now().time_since_epoch()).count());
      };
      gossip::PeerStreams& used = wrap ? wrap(i, streams) : streams;
      auto d = std::make_shared<PolicyDistributor>(options, g, used, *random, wall);
      REQUIRE(d->Register().ok());
      nodes[i] = d.get();
      return [d, random] { d->Tick(); };
    });
    pool.Start();
  }

  static gossip::SimPoolOptions Options(size_t n, uint64_t seed) {
    gossip::SimPoolOptions o;
    o.nodes = n;
    o.config = gossip::GossipConfig::Lan();
    o.seed = seed;
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

namespace {

// Node 7 stalls through a push; as it wakes, every holder but node 0
// stalls (a stalled holder answers nothing, as a peer behind a stuck
// connection). Over several seeds: the longest node 7 took to run the
// version, and its counters summed.
struct StalledHolders {
  Duration slowest{};
  DistributionCounters sum;
};
StalledHolders FetchPastStalledHolders(PolicyDistributor::Options options) {
  StalledHolders out;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    PushPool p(8, [options](size_t) { return options; }, seed);
    p.pool.RunFor(2s);
    p.pool.Stall(7, 1500ms);
    p.pool.RunFor(100ms);
    auto v = p.nodes[0]->Push(Example("small.xml"));
    REQUIRE(v.ok());
    p.pool.RunFor(1400ms);
    REQUIRE(p.nodes[6]->active_version() == *v);
    REQUIRE(p.nodes[7]->active_version() != *v);
    for (size_t i = 1; i < 7; ++i) p.pool.Stall(i, 8s);
    out.slowest = std::max(out.slowest, p.RunUntilEveryone(*v, 8s));
    const DistributionCounters& c = p.nodes[7]->counters();
    out.sum.fetches += c.fetches;
    out.sum.fetch_hedges += c.fetch_hedges;
    out.sum.fetch_abandoned += c.fetch_abandoned;
  }
  return out;
}

// Node 7 stalls through a push, as in FetchPastStalledHolders; it wakes
// to seven holders, one of which (node 3) it holds a connection to. Over
// six seeds: its calls, and how many of them went to node 3.
std::pair<size_t, size_t> FetchWithOneConnected() {
  std::pair<size_t, size_t> called;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::unique_ptr<ConnectedTo> seven;
    PushPool p(8, [](size_t) { return PolicyDistributor::Options{}; }, seed,
               [&](size_t i, gossip::PeerStreams& streams) -> gossip::PeerStreams& {
                 if (i != 7) return streams;
                 seven = std::make_unique<ConnectedTo>(streams);
                 return *seven;
               });
    p.pool.RunFor(2s);  // the nodes boot (and node 7's streams are wrapped)
    REQUIRE(seven);
    seven->connected = p.pool.node(3).identity().advertise;
    p.pool.Stall(7, 1500ms);
    p.pool.RunFor(100ms);
    auto v = p.nodes[0]->Push(Example("small.xml"));
    REQUIRE(v.ok());
    p.pool.RunFor(1400ms);
    REQUIRE(p.nodes[7]->active_version() != *v);  // it slept through the spread
    REQUIRE(p.RunUntilEveryone(*v, 5s) < 5s);
    called.first += seven->called.size();
    called.second += std::count(seven->called.begin(), seven->called.end(), seven->connected);
  }
  return called;
}

long Ms(Duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }

}  // namespace

TEST_CASE("Policy push: a fetch asks a second holder when the first is slow, and drops one suspected") {
  // Hedging and abandoning: the one live holder is found within a second.
  const StalledHolders hedged = FetchPastStalledHolders({});
  INFO("slowest " << Ms(hedged.slowest) << " ms; " << hedged.sum.fetches << " fetches, " << hedged.sum.fetch_hedges
                  << " hedges, " << hedged.sum.fetch_abandoned << " abandoned");
  REQUIRE(hedged.slowest < 1s);
  REQUIRE(hedged.sum.fetches > 6);  // some first picks were stalled holders
  REQUIRE(hedged.sum.fetch_hedges > 0);

  // No hedging: a stalled holder's call is given up when it is suspected
  // (0.7 s of silence), not after the 2 s fetch timeout.
  PolicyDistributor::Options no_hedge;
  no_hedge.hedge_after = 1min;
  const StalledHolders abandoned = FetchPastStalledHolders(no_hedge);
  INFO("without hedging: slowest " << Ms(abandoned.slowest) << " ms; " << abandoned.sum.fetches << " fetches, "
                                   << abandoned.sum.fetch_abandoned << " abandoned");
  REQUIRE(abandoned.slowest < no_hedge.fetch_timeout);
  REQUIRE(abandoned.sum.fetch_abandoned > 0);
  REQUIRE(abandoned.sum.fetch_hedges == 0);
}

TEST_CASE("Policy push: a fetch asks a holder this node already has a connection to") {
  // Without the preference, node 3 would be one pick in seven, six times over.
  const auto [calls, to_three] = FetchWithOneConnected();
  REQUIRE(calls >= 6);
  REQUIRE(to_three == calls);
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
  // The revision travels as the last four bytes; an announcement without
  // them (an older daemon's) decodes with revision 0.
  a.version.revision = 12;
  const std::string wire = EncodeAnnouncement(a);
  REQUIRE(wire.size() == 56);
  REQUIRE(DecodeAnnouncement(wire)->version.revision == 12);
  auto old = DecodeAnnouncement(wire.substr(0, 52));
  REQUIRE(old.has_value());
  REQUIRE(old->version.revision == 0);
  REQUIRE(old->version == a.version);  // the revision is a label, not the identity
  REQUIRE_FALSE(DecodeAnnouncement(wire + "x").has_value());
  // A stamp's text parses back to the same identity, junk does not.
  REQUIRE(PolicyVersion::Parse(a.version.ToString()) == a.version);
  for (const char* bad : {"", "1234.7", "1234.7@", "1234.7@0000000000000063x", "1234.70000@63", "x.1@63"}) {
    REQUIRE_FALSE(PolicyVersion::Parse(bad).has_value());
  }
}

TEST_CASE("Policy push: revisions count up pool-wide, whichever node is pushed to") {
  PushPool p(8);
  p.pool.RunFor(2s);
  auto r1 = p.nodes[2]->Push(Example("small.xml"));
  REQUIRE(r1.ok());
  REQUIRE(r1->revision == 1);
  p.RunUntilEveryone(*r1);
  for (auto* d : p.nodes) REQUIRE(d->active_version().revision == 1);
  auto r2 = p.nodes[6]->Push(Example("full.xml"));  // another node numbers the next one
  REQUIRE(r2.ok());
  REQUIRE(r2->revision == 2);
  p.RunUntilEveryone(*r2);
  for (auto* d : p.nodes) REQUIRE(d->active_version().revision == 2);
  // Checking a draft stamps nothing and changes nothing.
  REQUIRE(p.nodes[1]->Check(Example("small.xml")).ok());
  auto bad = p.nodes[1]->Check("<shoal-policy><policy application=\"nope\"/></shoal-policy>");
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::Contains("policy:1:"));
  REQUIRE(p.nodes[1]->active_version() == *r2);
  REQUIRE(p.nodes[1]->Push(Example("small.xml"))->revision == 3);
}

TEST_CASE("Policy push: with admin keys only signed documents spread, and an old one cannot come back") {
  testing::TempDir dir;
  const std::string key_file = dir.File("admin.key");
  REQUIRE(gossip::WriteNewAdminKey(key_file).ok());
  auto signer = gossip::AdminSigner::Load(key_file);
  REQUIRE(signer.ok());
  constexpr size_t kHonest = 7;  // nodes 0-6 trust the admin key; node 7 holds only the pool key
  std::vector<std::unique_ptr<gossip::AdminVerifier>> verifiers(kHonest);
  int64_t wall_ms = 0;
  PushPool p(kHonest + 1, [&](size_t i) {
    PolicyDistributor::Options o;
    if (i < kHonest) {
      verifiers[i] = std::make_unique<gossip::AdminVerifier>(std::vector{signer->public_key()}, [&] { return wall_ms; });
      o.open = [v = verifiers[i].get()](const std::string& blob) -> Result<OpenedPolicy> {
        auto a = v->CheckDocument(blob, "policy");
        if (!a.ok()) return a.error();
        return OpenedPolicy{a->action(), a->issued_ms()};
      };
    } else {
      // The attacker unwraps without checking and stamps versions of its own.
      o.open = [](const std::string& blob) -> Result<OpenedPolicy> {
        gossip::wire::SignedAction a;
        if (a.ParseFromString(blob) && !a.signature().empty()) return OpenedPolicy{a.action(), std::nullopt};
        return OpenedPolicy{blob, std::nullopt};
      };
    }
    return o;
  });
  auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(p.pool.clock().Now().time_since_epoch()).count();
  };
  auto honest_on = [&](const PolicyVersion& v) {
    for (size_t i = 0; i < kHonest; ++i) {
      if (p.nodes[i]->active_version() != v) return false;
    }
    return true;
  };
  p.pool.RunFor(3s);

  const std::string first = signer->Sign("policy", Example("small.xml"), now_ms());
  auto v1 = p.nodes[2]->Push(first);
  REQUIRE(v1.ok());
  REQUIRE(static_cast<int64_t>(v1->hlc >> 16) == now_ms());  // the version carries the signed time
  for (int k = 0; k < 200 && !honest_on(*v1); ++k) p.pool.RunFor(10ms);
  REQUIRE(honest_on(*v1));
  REQUIRE(p.nodes[5]->active_text() == Example("small.xml"));

  // Unsigned, at a node that takes anything: announced with a higher
  // version, fetched, and refused by every honest node.
  p.pool.RunFor(1s);
  auto forged = p.nodes[kHonest]->Push(Example("small-reversed.xml"));
  REQUIRE(forged.ok());
  REQUIRE(*forged > *v1);
  p.pool.RunFor(2s);
  REQUIRE(honest_on(*v1));
  // The first signed document again, under a new version: its signature
  // holds, but the version no longer carries its signed time.
  auto replayed = p.nodes[kHonest]->Push(first);
  REQUIRE(replayed.ok());
  p.pool.RunFor(2s);
  REQUIRE(honest_on(*v1));
  uint64_t refused = 0;
  for (size_t i = 0; i < kHonest; ++i) refused += p.nodes[i]->counters().invalid_documents;
  REQUIRE(refused >= kHonest);
  // An honest node refuses to stamp an older signed document above what it has seen.
  REQUIRE_THAT(p.nodes[4]->Push(first).error().message, Catch::Contains("a replay"));

  // A newer signed document wins everywhere.
  const std::string second = signer->Sign("policy", Example("small-reversed.xml"), now_ms());
  auto v2 = p.nodes[6]->Push(second);
  INFO((v2.ok() ? std::string() : v2.error().message));
  REQUIRE(v2.ok());
  for (int k = 0; k < 200 && !honest_on(*v2); ++k) p.pool.RunFor(10ms);
  REQUIRE(honest_on(*v2));
}
