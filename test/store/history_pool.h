// A simulated pool whose nodes each keep a real RocksDB history store (in
// one in-memory Env, or on disk with group commit), recording a period a
// second, replicating and holding copies; the replication tests share it.
#pragma once

#include <algorithm>
#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <rocksdb/env.h>

#include "gossip/sim/sim_pool.h"
#include "gossip/sim/sim_streams.h"
#include "store/custodian.h"
#include "store/history_service.h"
#include "store/pool_query.h"
#include "store/replicator.h"
#include "store/restorer.h"
#include "test/support/temp_dir.h"


namespace shoal::store::testing_support {

using namespace std::chrono_literals;


inline constexpr int64_t kEpochMs = 1'800'000'000'000;  // virtual time 0, in wall milliseconds

struct HistoryNode {
  std::unique_ptr<HistoryStore> store;
  std::unique_ptr<HistoryService> service;
  std::unique_ptr<Replicator> replicator;
  std::unique_ptr<Custodian> custodian;
  std::unique_ptr<Restorer> restorer;
  int64_t next_ms = 0;
};

// Every node's store in one in-memory RocksDB Env (as the whole-node
// simulator has them; a restarted node reopens what it wrote), or on disk
// with group commit, whose syncs an in-memory Env does not take.
struct HistoryPool {
  std::unique_ptr<rocksdb::Env> env{rocksdb::NewMemEnv(rocksdb::Env::Default())};
  testing::TempDir dir;
  gossip::SimPool pool;
  std::vector<HistoryNode*> nodes;
  std::map<size_t, uint64_t> recorded;  // node -> periods recorded, over all its lives
  std::set<size_t> wipe;                // nodes whose store is removed at their next start
  std::map<size_t, std::map<std::string, std::string>> restore;  // node -> its store's files, put back at its next start
  bool restoring = true;  // nodes get their earlier rows back after a store started afresh (store/restorer.h)

  // group_commit > 0: replicas sync to disk and hold appends for a group
  // commit of that window, as shoald does.
  explicit HistoryPool(size_t n, Duration group_commit = Duration::zero()) : pool(Options(n)), nodes(n, nullptr) {
    pool.AddComponent([this, group_commit](size_t i, gossip::Gossiper& g,
                                           gossip::PeerStreams& streams) -> std::function<void()> {
      auto node = std::make_shared<HistoryNode>();
      StoreOptions o;
      o.sync_replica_writes = group_commit > Duration::zero();
      o.path = o.sync_replica_writes ? dir.File("node-" + std::to_string(i)) : "/history/node-" + std::to_string(i);
      if (!o.sync_replica_writes) o.env = env.get();
      if (wipe.erase(i)) Remove(o.path);
      if (auto r = restore.find(i); r != restore.end()) {
        Remove(o.path);
        for (const auto& [name, bytes] : r->second) REQUIRE(rocksdb::WriteStringToFile(env.get(), bytes, o.path + "/" + name).ok());
        restore.erase(r);
      }
      auto store = HistoryStore::Open(pool.id(i), "n" + std::to_string(i), o);
      REQUIRE(store.ok());
      node->store = std::move(*store);
      node->service = std::make_unique<HistoryService>(*node->store, streams);
      if (group_commit > Duration::zero()) node->service->SetGroupCommit(pool.clock(), group_commit);
      node->service->SetOriginLive([&g](NodeId origin) { return g.membership().IsLive(origin); });
      node->service->Register();
      node->replicator = std::make_unique<Replicator>(*node->store, g.membership(), streams, pool.clock());
      node->custodian = std::make_unique<Custodian>(*node->store, g.membership(), streams, pool.clock());
      if (restoring) {
        node->restorer = std::make_unique<Restorer>(*node->store, g.membership(), streams, pool.clock(),
                                                    [r = node->replicator.get()] { r->CopyAfresh(); });
      }
      nodes[i] = node.get();
      return [this, i, node] {
        const int64_t now = Now();
        if (now >= node->next_ms) {  // one period a second
          node->next_ms = now - now % 1000 + 1000;
          Period p;
          p.time_ms = now;
          p.node = Sample{.usage = 100, .capacity = 1000};
          p.apps.push_back({"gold", Sample{.usage = static_cast<uint32_t>(i * 10), .demand = 0, .booking = 100,
                                            .allocation = 100}});
          REQUIRE(node->store->Record(p).ok());
          ++recorded[i];
        }
        node->service->Tick();
        node->replicator->Tick();
        node->custodian->Tick();
        if (node->restorer) node->restorer->Tick();
      };
    });
    pool.Start();
  }

  static gossip::SimPoolOptions Options(size_t n) {
    gossip::SimPoolOptions o;
    o.nodes = n;
    o.config = gossip::GossipConfig::Lan();
    o.seed = 21;
    return o;
  }

  // Removes a store in the in-memory Env, as an operator's rm -rf would.
  void Remove(const std::string& path) {
    std::vector<std::string> files;
    REQUIRE(env->GetChildren(path, &files).ok());
    for (const auto& f : files) (void)env->DeleteFile(path + "/" + f);
  }

  // A store's files as they are now (to put back later, as a disk that
  // lost what it had not synced would).
  std::map<std::string, std::string> Files(size_t i) {
    const std::string path = "/history/node-" + std::to_string(i);
    std::vector<std::string> names;
    REQUIRE(env->GetChildren(path, &names).ok());
    std::map<std::string, std::string> out;
    for (const auto& name : names) {
      if (name == "LOCK") continue;
      REQUIRE(rocksdb::ReadFileToString(env.get(), path + "/" + name, &out[name]).ok());
    }
    return out;
  }

  // A store's files as `Files` took them, as if its process had closed it
  // (without the mark a crash leaves: HistoryStore's open mark).
  static std::map<std::string, std::string> Closed(std::map<std::string, std::string> files) {
    REQUIRE(files.erase("SHOAL-OPEN") == 1);
    return files;
  }

  int64_t Now() { return kEpochMs + std::chrono::duration_cast<std::chrono::milliseconds>(pool.clock().Now().time_since_epoch()).count(); }

  std::vector<PoolMember> LivePeers(size_t i) {
    std::vector<PoolMember> out;
    for (const auto m : pool.node(i).membership().live_peers()) out.push_back({m.id, m->endpoint});
    return out;
  }

  Result<PoolAnswer> Ask(size_t i, const std::string& app, int64_t from, int64_t to, int64_t step) {
    auto answers = AskAtOnce(i, app, from, to, step, {KeepRows::kAll});
    return std::move(answers.front());
  }

  // The same question asked once per `keep`, all at the same moment.
  std::vector<Result<PoolAnswer>> AskAtOnce(size_t i, const std::string& app, int64_t from, int64_t to, int64_t step,
                                            const std::vector<KeepRows>& keep) {
    SeriesQuery q;
    q.name = app;
    q.from_ms = from;
    q.to_ms = to;
    q.step_ms = step;
    std::vector<std::optional<Result<PoolAnswer>>> answers(keep.size());
    for (size_t k = 0; k < keep.size(); ++k) {
      PoolQuery::Run(*nodes[i]->service, pool.streams(i), LivePeers(i), q, 2s, nullptr,
                     [&answers, k](Result<PoolAnswer> a) { answers[k] = std::move(a); }, keep[k]);
    }
    auto all = [&] { return std::all_of(answers.begin(), answers.end(), [](const auto& a) { return a.has_value(); }); };
    for (int k = 0; k < 400 && !all(); ++k) pool.RunFor(10ms);
    REQUIRE(all());
    std::vector<Result<PoolAnswer>> out;
    for (auto& a : answers) out.push_back(std::move(*a));
    return out;
  }

  // Nodes (other than i) holding rows of node i.
  std::vector<size_t> HoldersOf(size_t i) {
    std::vector<size_t> out;
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (k != i && nodes[k]->store->HeldOf(pool.id(i))) out.push_back(k);
    }
    return out;
  }
};

inline uint64_t Samples(const PoolAnswer& a, uint64_t origin) {
  uint64_t n = 0;
  for (const auto& r : a.result.rows) {
    if (r.origin.value == origin) n += r.figures.samples;
  }
  return n;
}

}  // namespace shoal::store::testing_support
