// A simulated pool whose every node runs a policy distributor (and, when
// asked, the inline documents' carrier), for the distribution's tests.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gossip/sim/sim_pool.h"
#include "policy/distribution.h"
#include "policy/inline_documents.h"

namespace shoal::policy::testing {

using namespace std::chrono_literals;

inline std::string Example(const char* name) {
  std::ifstream in(std::string(SHOAL_SOURCE_DIR "/examples/policies/") + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct PushPool {
  gossip::SimPool pool;
  std::vector<PolicyDistributor*> nodes;
  // Each node's streams as its distributor uses them (none: as they are).
  using Wrap = std::function<gossip::PeerStreams&(size_t i, gossip::PeerStreams& streams)>;
  Wrap wrap;

  explicit PushPool(size_t n, PolicyDistributor::Options options = {})
      : PushPool(n, [options](size_t) { return options; }) {}
  // Each node's options from `options_of(i)`; `carry_inline`: every node
  // also runs the inline documents' carrier, as shoald does.
  PushPool(size_t n, std::function<PolicyDistributor::Options(size_t)> options_of, uint64_t seed = 9,
           Wrap wrap_streams = {}, bool carry_inline = false)
      : pool(Options(n, seed)), nodes(n, nullptr), wrap(std::move(wrap_streams)) {
    pool.AddComponent([this, options_of, seed, carry_inline](size_t i, gossip::Gossiper& g,
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
      std::shared_ptr<InlineDocuments> carrier;
      if (carry_inline) {
        carrier = std::make_shared<InlineDocuments>(g, *d);
        REQUIRE(carrier->Register().ok());
      }
      nodes[i] = d.get();
      return [d, random, carrier] { d->Tick(); };
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

}  // namespace shoal::policy::testing
