// Pool-wide policy push on the simulated network: the time from a push at a
// random node until every running node has activated the document. The
// pool runs the LAN preset with real sealing and the given packet loss; the
// pushes alternate between the two shipped example documents, one every
// few seconds at random nodes. Prints one JSON object.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "core/percentile.h"
#include "gossip/sim/sim_pool.h"
#include "policy/distribution.h"

using namespace shoal;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app{"Times pool-wide policy pushes on the simulated network."};
  size_t nodes = 128;
  int pushes = 10;
  double loss = 0.05;
  uint64_t seed = 1;
  std::string examples = "examples/policies";
  app.add_option("--nodes", nodes)->capture_default_str();
  app.add_option("--pushes", pushes)->capture_default_str();
  app.add_option("--loss", loss)->capture_default_str();
  app.add_option("--seed", seed)->capture_default_str();
  app.add_option("--examples", examples, "directory with full.xml and small.xml")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string docs[2];
  const char* names[2] = {"full.xml", "small.xml"};
  for (int i = 0; i < 2; ++i) {
    std::ifstream in(examples + "/" + names[i]);
    std::stringstream s;
    s << in.rdbuf();
    docs[i] = s.str();
    if (docs[i].empty()) {
      std::fprintf(stderr, "cannot read %s/%s\n", examples.c_str(), names[i]);
      return 1;
    }
  }

  gossip::SimPoolOptions o;
  o.nodes = nodes;
  o.config = gossip::GossipConfig::Lan();
  o.link.loss = loss;
  o.seed = seed;
  o.join_spread = std::chrono::milliseconds(static_cast<int64_t>(nodes) * 4);
  gossip::SimPool pool(o);
  std::vector<policy::PolicyDistributor*> d(nodes, nullptr);
  pool.AddComponent([&](size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams) -> std::function<void()> {
    auto random = std::make_shared<Random>(seed * 7919 + i);
    auto wall = [&pool] {
      return static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(pool.clock().Now().time_since_epoch()).count());
    };
    auto dist = std::make_shared<policy::PolicyDistributor>(policy::PolicyDistributor::Options{}, g, streams,
                                                            *random, wall);
    if (!dist->Register().ok()) std::abort();
    d[i] = dist.get();
    return [dist, random] { dist->Tick(); };
  });
  pool.Start();
  pool.RunFor(std::chrono::milliseconds(static_cast<int64_t>(nodes) * 4) + 5s);  // everyone joined

  Random rng(seed);
  std::vector<double> ms;
  int never = 0;
  uint64_t fetches = 0, failures = 0;
  for (int k = 0; k < pushes; ++k) {
    auto v = d[rng.Below(nodes)]->Push(docs[k % 2]);
    if (!v.ok()) std::abort();
    const TimePoint start = pool.clock().Now();
    bool all = false;
    while (!all && pool.clock().Now() - start < 10s) {
      pool.RunFor(2ms);
      all = std::all_of(d.begin(), d.end(), [&](auto* x) { return x->active_version() == *v; });
    }
    if (all) {
      ms.push_back(std::chrono::duration<double, std::milli>(pool.clock().Now() - start).count());
    } else {
      ++never;
    }
    pool.RunFor(2s);
  }
  for (auto* x : d) {
    fetches += x->counters().fetches;
    failures += x->counters().fetch_failures;
  }
  double p50 = Percentile(ms, 50), max = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
  std::printf("{\"nodes\": %zu, \"loss\": %.2f, \"pushes\": %d, \"push_to_all_p50_ms\": %.1f, "
              "\"push_to_all_max_ms\": %.1f, \"never\": %d, \"fetches\": %llu, \"fetch_failures\": %llu}\n",
              nodes, loss, pushes, p50, max, never, static_cast<unsigned long long>(fetches),
              static_cast<unsigned long long>(failures));
  return 0;
}
