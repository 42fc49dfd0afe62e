#include "tools/emu/emulated_pool.h"

#include <fmt/format.h>
#include <rocksdb/env.h>

#include "core/build_info.h"
#include "core/random.h"
#include "daemon/engine/engine_detail.h"
#include "daemon/engine/node_detail.h"
#include "daemon/engine/node_engine.h"
#include "gossip/gossiper.h"
#include "gossip/net/tcp_streams.h"
#include "gossip/net/udp_transport.h"
#include "store/history_store.h"

namespace shoal::emu {

// One emulated node; members in the order they are built (and torn down
// in reverse: the engine before what it uses).
struct EmulatedPool::Peer {
  std::unique_ptr<gossip::UdpTransport> transport;
  std::unique_ptr<RoutedStreams> streams;  // TCP to the real daemon, in process among peers
  std::unique_ptr<Random> random;
  std::unique_ptr<gossip::Gossiper> gossiper;
  std::unique_ptr<sim::SimMachine> machine;
  std::unique_ptr<sim::SimProcessSource> source;
  std::unique_ptr<store::HistoryStore> store;
  std::unique_ptr<engine::NodeEngine> engine;
  std::unique_ptr<engine::DetailService> detail;
};

EmulatedPool::EmulatedPool(boost::asio::io_context& io, EmulatedPoolOptions options, const gossip::Keyring& keyring)
    : io_(io),
      options_(std::move(options)),
      keyring_(keyring),
      env_(options_.history ? rocksdb::NewMemEnv(rocksdb::Env::Default()) : nullptr),
      index_(std::max<size_t>(2 * options_.gossip.max_nodes, 2 * options_.peers + 16)),
      payloads_(8 * std::max<size_t>(options_.gossip.max_nodes, options_.peers + 8)),
      timer_(io) {}

EmulatedPool::~EmulatedPool() {
  timer_.cancel();
  // Engines first (they hold services on the streams and channels on the
  // gossipers), then the rest of each peer.
  for (auto& p : peers_) {
    p->detail.reset();
    p->engine.reset();
  }
  peers_.clear();
}

Result<std::unique_ptr<EmulatedPool>> EmulatedPool::Open(boost::asio::io_context& io, EmulatedPoolOptions options,
                                                         const gossip::Keyring& keyring) {
  std::unique_ptr<EmulatedPool> pool(new EmulatedPool(io, std::move(options), keyring));
  for (size_t i = 0; i < pool->options_.peers; ++i) {
    if (auto s = pool->OpenPeer(i); !s.ok()) return s.error();
  }
  return pool;
}

Status EmulatedPool::OpenPeer(size_t i) {
  auto peer = std::make_unique<Peer>();
  const Endpoint at{options_.first_address.ip + static_cast<uint32_t>(i), options_.first_address.port};
  const std::string name = fmt::format("emu-{}", i + 1);
  const NodeId id = NodeId::FromName(name);
  auto transport = gossip::UdpTransport::Open(io_, at, gossip::UdpTransport::Mode::kPolled);
  if (!transport.ok()) return MakeError("peer {}: {}", name, transport.error().message);
  peer->transport = std::move(*transport);
  auto streams = gossip::TcpStreams::Open(io_, at, keyring_, id);
  if (!streams.ok()) return MakeError("peer {}: {}", name, streams.error().message);
  peer->streams = std::make_unique<RoutedStreams>(io_, routes_, gossip::StreamPeer{at, id}, std::move(*streams));
  peer->random = std::make_unique<Random>(options_.seed * 0x9e3779b97f4a7c15ULL + i * 7919);
  const auto boot = static_cast<uint64_t>(wall_.NowMs());
  peer->gossiper = std::make_unique<gossip::Gossiper>(options_.gossip, gossip::NodeIdentity{id, boot, at, BuildText()},
                                                      clock_, *peer->random, *peer->transport, keyring_,
                                                      gossip::SharedTables{&index_, &payloads_});
  std::vector<Endpoint> seeds = options_.seeds;
  if (i > 0) seeds.push_back(options_.first_address);
  peer->gossiper->SetSeeds(seeds);
  peer->machine = std::make_unique<sim::SimMachine>(options_.cpus);
  if (options_.workload) options_.workload(i, *peer->machine);
  peer->source = std::make_unique<sim::SimProcessSource>(*peer->machine);
  if (options_.history) {
    store::StoreOptions o;
    o.path = "/emu/" + name;
    o.env = env_.get();
    o.sync_replica_writes = false;
    auto opened = store::HistoryStore::Open(id, name, o);
    if (!opened.ok()) return MakeError("peer {}: history: {}", name, opened.error().message);
    peer->store = std::move(*opened);
  }
  engine::EngineConfig config;
  config.node_name = name;
  config.planning = options_.planning;
  config.history.copies = options_.history_copies;
  auto e = engine::NodeEngine::Create(
      config,
      engine::EngineSeams{clock_, wall_, *peer->random, *peer->gossiper, *peer->streams, *peer->source,
                          std::make_unique<sim::SimCpuEnforcer>(*peer->machine), nullptr, peer->store.get()},
      engine::EngineHooks{});
  if (!e.ok()) return MakeError("peer {}: {}", name, e.error().message);
  peer->engine = std::move(*e);
  peer->detail = std::make_unique<engine::DetailService>(engine::DetailOf(*peer->engine), *peer->gossiper,
                                                         *peer->streams);
  peers_.push_back(std::move(peer));
  return Status::Ok();
}

void EmulatedPool::Start() {
  timer_.expires_after(options_.gossip.period);
  ScheduleRound();
}

void EmulatedPool::ScheduleRound() {
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const TimePoint due = timer_.expiry(), started = clock_.Now();
    Round();
    rounds_.Add(due, started, clock_.Now());
    // A round that overran does not try to catch up.
    timer_.expires_at(std::max(timer_.expiry() + options_.gossip.period, std::chrono::steady_clock::now()));
    ScheduleRound();
  });
}

void EmulatedPool::Round() {
  for (auto& p : peers_) {
    p->transport->Poll();
    p->gossiper->DeliverViews();
    p->engine->Tick();
    p->gossiper->Tick();
  }
}

EmulatedReport EmulatedPool::TakeReport() {
  sim::Traffic now;
  for (const auto& p : peers_) now.Add(*p->gossiper, *p->streams);
  const size_t live = peers_.empty() ? 0 : peers_.front()->gossiper->membership().live_count();
  EmulatedReport r{peers_.size(), live, now.Since(reported_), rounds_.Take()};
  reported_ = now;
  return r;
}

}  // namespace shoal::emu
