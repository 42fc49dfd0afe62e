// A whole pool on the simulated network for scenario tests: every node
// publishes "node-I/gen-G" on a status channel, and membership events are
// logged as (observer, kind, subject). Virtual time only.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gossip/sim/sim_pool.h"

namespace shoal::gossip::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint32_t kStatus = 10;

// A pool whose nodes publish "node-I/gen-G" on a status channel, and a log
// of membership events as (observer, kind, subject).
struct Scenario {
  SimPool pool;
  std::vector<int> generation;
  struct Event {
    TimePoint at;
    size_t observer;
    MemberEvent::Kind kind;
    size_t subject;
  };
  std::vector<Event> events;

  explicit Scenario(SimPoolOptions o, bool formed = false) : pool(o), generation(o.nodes, 0) {
    pool.AddChannels([this](size_t i, Gossiper& g) {
      REQUIRE(g.RegisterChannel(ChannelSpec{kStatus, "status", milliseconds(100), 32},
                                [this, i] {
                                  return std::optional<std::string>(
                                      "node-" + std::to_string(i) + "/gen-" +
                                      std::to_string(generation[i]));
                                },
                                nullptr)
                  .ok());
    });
    pool.SetMemberListener([this](size_t i, const MemberEvent& ev) {
      events.push_back(Event{ev.at, i, ev.kind, SimPool::IndexOf(ev.id)});
    });
    if (formed) {
      pool.StartFormed();
    } else {
      pool.Start();
    }
  }

  // Every running node sees every other running node live, and holds its
  // current status payload.
  bool Converged() {
    for (size_t i = 0; i < pool.size(); ++i) {
      if (!pool.running(i)) continue;
      auto view = pool.node(i).View(kStatus);
      for (size_t j = 0; j < pool.size(); ++j) {
        if (!pool.running(j)) continue;
        const StoredEntry* e = view.Find(pool.id(j));
        if (e == nullptr || e->payload != "node-" + std::to_string(j) + "/gen-" +
                                              std::to_string(generation[j])) {
          return false;
        }
      }
    }
    return true;
  }

  // Runs until converged; returns the virtual time it took, or `limit`.
  Duration RunUntilConverged(Duration limit) {
    const TimePoint t0 = pool.clock().Now();
    while (pool.clock().Now() - t0 < limit) {
      pool.RunFor(milliseconds(20));
      if (Converged()) return pool.clock().Now() - t0;
    }
    return limit;
  }

  size_t Count(MemberEvent::Kind kind, size_t subject, TimePoint since = TimePoint{}) const {
    std::set<size_t> observers;
    for (const auto& e : events) {
      if (e.kind == kind && e.subject == subject && e.at >= since) observers.insert(e.observer);
    }
    return observers.size();
  }
  size_t CountAbout(MemberEvent::Kind kind, std::function<bool(size_t)> subject) const {
    size_t n = 0;
    for (const auto& e : events) n += e.kind == kind && subject(e.subject);
    return n;
  }
};

inline SimPoolOptions Options(size_t nodes, double loss, uint64_t seed) {
  SimPoolOptions o;
  o.nodes = nodes;
  o.seed = seed;
  o.link.loss = loss;
  return o;
}


}  // namespace shoal::gossip::testing
