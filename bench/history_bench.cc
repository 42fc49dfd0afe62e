// The history store's costs; bench/history.sh runs it and keeps the JSON.
//
//   write  a day of samples of --apps applications, one period every
//          --period-ms, into a fresh store: the cost of recording one
//          period, the roll-ups, the store's memory, the process's RSS, the
//          size on disk.
//   query  --nodes stores on the simulated pool, each holding a day of its
//          own samples (one period every --period-ms, rolled up); the
//          24-hour pool-wide question about every application (5-minute
//          buckets) asked of one node. Every node's share of the work runs
//          one after another on this one core, so the wall time is an upper
//          bound for a real pool, where they work in parallel.
//   fill   --nodes stores under --dir/node-I/history (I from 1), each
//          holding a day of its own samples as `query` fills them, under
//          the origin shoald names node-I: a real pool started on those
//          state directories answers a day's question end to end
//          (bench/history_pool.sh). The directory is kept.
//   lag    --nodes on the simulated pool with replica writes synced to disk
//          by group commit as in shoald, a period a second each: time from
//          recording a period to its acknowledgement by two replicas
//          (simulated network, measured at the gossip tick), syncs per
//          append, and the real cost of one synced append.
// Prints one JSON object.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/self_rss.h"
#include "core/logging.h"
#include "core/percentile.h"
#include "gossip/sim/sim_pool.h"
#include "store/history_service.h"
#include "store/pool_query.h"
#include "store/replicator.h"
#include "store/resolution.h"
#include "store/series_sum.h"

using namespace shoal;
using namespace shoal::store;
using namespace std::chrono_literals;
using Wall = std::chrono::steady_clock;

namespace {

double Seconds(Wall::duration d) { return std::chrono::duration<double>(d).count(); }

// Private memory only: RSS also counts the pages of shared libraries this
// process touched (librocksdb.so alone is about 9 MB of them).
uint64_t AnonKb() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Anonymous:", 0) == 0) return std::stoull(line.substr(10));
  }
  return 0;
}

uint64_t DiskBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

Period MakePeriod(int64_t t, int apps, uint64_t k) {
  Period p;
  p.time_ms = t;
  Sample node{.capacity = 16000};
  for (int a = 0; a < apps; ++a) {
    // Usage wanders per application; some are squeezed now and then.
    const uint32_t usage = static_cast<uint32_t>(200 + (k * 37 + a * 101) % 600);
    Sample s{.usage = usage, .demand = usage + static_cast<uint32_t>((k + a) % 7 == 0 ? 300 : 0), .booking = 500,
             .allocation = 600, .rss_kb = 200'000 + a * 1000u, .processes = 4};
    node.usage += s.usage;
    node.demand += s.demand;
    node.booking += s.booking;
    node.allocation += s.allocation;
    p.apps.push_back({fmt::format("app-{:02}", a), s});
  }
  p.node = node;
  return p;
}

// Every application's rows over [from, to) at the resolution an operator's
// question gets.
SeriesQuery DayOfApps(int64_t from, int64_t to, const Resolution& res) {
  SeriesQuery q;
  q.kind = SeriesKind::kApp;
  q.from_ms = from;
  q.to_ms = to;
  q.step_ms = res.step_ms;
  q.level = res.level;
  return q;
}

std::unique_ptr<HistoryStore> OpenOrDie(const std::string& path, NodeId id, bool sync,
                                        const std::string& name = {}) {
  StoreOptions o;
  o.path = path;
  o.sync_replica_writes = sync;
  auto s = HistoryStore::Open(id, name.empty() ? fmt::format("node-{}", id.value) : name, o);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    std::exit(1);
  }
  return std::move(*s);
}

int RunWrite(const std::string& dir, int apps, int64_t period_ms) {
  const uint64_t rss_before = bench::SelfRssKb();
  std::vector<double> us;
  us.reserve(static_cast<size_t>(kDayMs / period_ms));  // before measuring memory
  const uint64_t anon_before = AnonKb();
  auto store = OpenOrDie(dir + "/write", NodeId{1}, false);
  const uint64_t rss_open = bench::SelfRssKb();
  const uint64_t anon_open = AnonKb();
  uint64_t rss_hour = 0, anon_hour = 0;
  const int64_t now = WallClockMs();
  const int64_t start = now - kDayMs;
  const uint64_t periods = static_cast<uint64_t>(kDayMs / period_ms);
  double maintain_s = 0;
  const auto begin = Wall::now();
  for (uint64_t k = 0; k < periods; ++k) {
    const int64_t t = start + static_cast<int64_t>(k) * period_ms;
    Period p = MakePeriod(t, apps, k);
    const auto a = Wall::now();
    if (!store->Record(p).ok()) return 1;
    us.push_back(std::chrono::duration<double, std::micro>(Wall::now() - a).count());
    if (k == static_cast<uint64_t>(kHourMs / period_ms)) {
      rss_hour = bench::SelfRssKb();
      anon_hour = AnonKb();
    }
    if (k % static_cast<uint64_t>(60'000 / period_ms) == 0) {  // the daemon's minute upkeep
      const auto m = Wall::now();
      if (!store->Maintain(t).ok()) return 1;
      maintain_s += Seconds(Wall::now() - m);
    }
  }
  const double total_s = Seconds(Wall::now() - begin);
  const uint64_t rss_filled = bench::SelfRssKb();
  const uint64_t anon_untrimmed = AnonKb();
  malloc_trim(0);  // what is left is held, not merely cached by the allocator
  const uint64_t anon_filled = AnonKb();
  // A day's report from this store: the node's share of `shoalctl report`.
  const auto res = ChooseResolution(start, now, now, 0, store->options().retention_ms);
  const SeriesQuery q = DayOfApps(start, now, res);
  const auto qa = Wall::now();
  auto r = store->Query(q);
  const double query_ms = Seconds(Wall::now() - qa) * 1000;
  if (!r.ok()) return 1;
  std::sort(us.begin(), us.end());
  std::printf(
      "{\"mode\":\"write\",\"apps\":%d,\"period_ms\":%lld,\"periods\":%llu,\"rows\":%llu,"
      "\"record_us_p50\":%.1f,\"record_us_p99\":%.1f,\"record_us_mean\":%.1f,\"cpu_share_at_1s\":%.5f,"
      "\"maintain_s_total\":%.2f,\"fill_s\":%.1f,\"store_memory_kb\":%llu,\"rss_before_kb\":%llu,"
      "\"rss_after_open_kb\":%llu,\"rss_after_hour_kb\":%llu,\"anon_before_kb\":%llu,\"anon_after_open_kb\":%llu,"
      "\"anon_after_hour_kb\":%llu,\"anon_after_day_untrimmed_kb\":%llu,\"anon_after_day_kb\":%llu,"
      "\"rss_after_day_kb\":%llu,\"disk_mb\":%.1f,\"day_query_rows\":%zu,\"day_query_ms\":%.1f}\n",
      apps, static_cast<long long>(period_ms), static_cast<unsigned long long>(periods),
      static_cast<unsigned long long>(store->counters().rows_written), Percentile(us, 50), Percentile(us, 99),
      std::accumulate(us.begin(), us.end(), 0.0) / us.size(),
      (std::accumulate(us.begin(), us.end(), 0.0) / us.size() + maintain_s * 1e6 / periods) / 1e6,
      maintain_s, total_s, static_cast<unsigned long long>(store->Memory().total() / 1024),
      static_cast<unsigned long long>(rss_before), static_cast<unsigned long long>(rss_open),
      static_cast<unsigned long long>(rss_hour), static_cast<unsigned long long>(anon_before),
      static_cast<unsigned long long>(anon_open), static_cast<unsigned long long>(anon_hour),
      static_cast<unsigned long long>(anon_untrimmed),
      static_cast<unsigned long long>(anon_filled), static_cast<unsigned long long>(rss_filled),
      DiskBytes(dir + "/write") / 1e6, r->rows.size(), query_ms);
  return 0;
}

struct BenchNode {
  std::unique_ptr<HistoryStore> store;
  std::unique_ptr<HistoryService> service;
  std::unique_ptr<Replicator> replicator;
};

gossip::SimPoolOptions PoolOptions(size_t n) {
  gossip::SimPoolOptions o;
  o.nodes = n;
  o.config = gossip::GossipConfig::Lan();
  o.seed = 5;
  o.link.latency = 200us;  // a LAN
  return o;
}

// A day of periods of `apps` applications, one every `period_ms` until `now`.
Status FillDay(HistoryStore& store, int64_t now, int apps, int64_t period_ms, uint64_t salt) {
  const uint64_t periods = static_cast<uint64_t>(kDayMs / period_ms);
  for (uint64_t k = 0; k < periods; ++k) {
    const int64_t t = now - kDayMs + static_cast<int64_t>(k) * period_ms;
    if (auto r = store.Record(MakePeriod(t, apps, k + salt)); !r.ok()) return r.error();
  }
  return store.Maintain(now);
}

int RunFill(const std::string& dir, size_t nodes, int apps, int64_t period_ms) {
  const int64_t now = WallClockMs();
  const auto fill = Wall::now();
  for (size_t i = 1; i <= nodes; ++i) {
    const std::string name = fmt::format("node-{}", i);
    const std::string path = fmt::format("{}/{}/history", dir, name);
    std::filesystem::create_directories(path);
    auto store = OpenOrDie(path, NodeId::FromName(name), false, name);
    // A store created here holds every row of its origin: nothing to get
    // back from peers (shoald would otherwise ask every one of them).
    Status s = FillDay(*store, now, apps, period_ms, i);
    if (s.ok()) s = store->FinishRestore();
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), s.error().message.c_str());
      return 1;
    }
  }
  std::printf("{\"mode\":\"fill\",\"nodes\":%zu,\"apps\":%d,\"period_ms\":%lld,\"fill_s\":%.1f}\n", nodes, apps,
              static_cast<long long>(period_ms), Seconds(Wall::now() - fill));
  return 0;
}

int RunQuery(const std::string& dir, size_t nodes, int apps, int64_t period_ms) {
  gossip::SimPool pool(PoolOptions(nodes));
  std::vector<BenchNode*> all(nodes, nullptr);
  const int64_t now = WallClockMs();
  pool.AddComponent([&](size_t i, gossip::Gossiper&, gossip::PeerStreams& streams) -> std::function<void()> {
    auto n = std::make_shared<BenchNode>();
    n->store = OpenOrDie(fmt::format("{}/query-{}", dir, i), pool.id(i), false);
    n->service = std::make_unique<HistoryService>(*n->store, streams);
    n->service->Register();
    all[i] = n.get();
    return [n] {};
  });
  pool.Start();
  pool.RunFor(10ms);  // the nodes boot
  const auto fill = Wall::now();
  for (size_t i = 0; i < nodes; ++i) {
    if (!FillDay(*all[i]->store, now, apps, period_ms, i).ok()) return 1;
  }
  const double fill_s = Seconds(Wall::now() - fill);
  pool.RunFor(5s);  // membership
  const auto res = ChooseResolution(now - kDayMs, now, now, 0, all[0]->store->options().retention_ms);
  const SeriesQuery q = DayOfApps(now - kDayMs, now, res);
  std::vector<PoolMember> peers;
  for (const auto m : pool.node(0).membership().live_peers()) peers.push_back({m.id, m->endpoint});
  std::vector<double> wall_ms, sim_ms;
  size_t points = 0;
  size_t rows = 0, origins = 0;
  for (int run = 0; run < 5; ++run) {
    std::optional<Result<PoolAnswer>> answer;
    const auto w = Wall::now();
    const TimePoint v = pool.clock().Now();
    PoolQuery::Run(*all[0]->service, pool.streams(0), peers, q, 30s, nullptr,
                   [&](Result<PoolAnswer> a) { answer = std::move(a); }, KeepRows::kPoolSums);
    while (!answer) pool.RunFor(1ms);
    wall_ms.push_back(Seconds(Wall::now() - w) * 1000);
    sim_ms.push_back(ToMillis(pool.clock().Now() - v));
    if (!answer->ok()) return 1;
    // The rows are summed into the points shoald answers with as they
    // arrive: within the wall time.
    points = (*answer)->points.size();
    rows = (*answer)->rows;
    origins = (*answer)->holder.size();
  }
  // One node's own share (its origin's rows), as each node does it in a
  // real pool, in parallel with the others: in columns as PoolQuery asks,
  // and in rows as older nodes asked (and the bytes of each).
  std::vector<double> share_ms, share_rows_ms;
  size_t bytes_columns = 0, bytes_rows = 0;
  for (size_t i = 0; i < nodes; ++i) {
    SeriesQuery own = q;
    own.origins = {pool.id(i)};
    for (bool columns : {true, false}) {
      wire::Request one;
      *one.mutable_query() = ToWire(own);
      one.mutable_query()->set_columns(columns);
      const auto w = Wall::now();
      auto r = all[i]->service->Handle(pool.id(0), one);
      const std::string bytes = r->SerializeAsString();  // as it goes on the wire
      (columns ? share_ms : share_rows_ms).push_back(Seconds(Wall::now() - w) * 1000);
      (columns ? bytes_columns : bytes_rows) += bytes.size();
    }
  }
  std::sort(wall_ms.begin(), wall_ms.end());
  const double shares = std::accumulate(share_ms.begin(), share_ms.end(), 0.0);
  std::printf(
      "{\"node_share_ms_p50\":%.1f,\"node_share_ms_max\":%.1f,\"coordinator_ms\":%.1f,"
      "\"parallel_estimate_ms\":%.1f,\"node_share_rows_ms_p50\":%.1f,\"share_bytes_columns\":%zu,"
      "\"share_bytes_rows\":%zu,",
      Percentile(share_ms, 50), *std::max_element(share_ms.begin(), share_ms.end()),
      Percentile(wall_ms, 50) - shares,
      *std::max_element(share_ms.begin(), share_ms.end()) + Percentile(wall_ms, 50) - shares + Percentile(sim_ms, 50),
      Percentile(share_rows_ms, 50), bytes_columns / nodes, bytes_rows / nodes);
  std::printf(
      "\"mode\":\"query\",\"nodes\":%zu,\"apps\":%d,\"period_ms\":%lld,\"fill_s\":%.1f,\"peers_known\":%zu,"
      "\"origins_answered\":%zu,\"rows\":%zu,\"step_ms\":%lld,\"level\":\"%s\",\"wall_ms_min\":%.1f,"
      "\"wall_ms_median\":%.1f,\"wall_ms_max\":%.1f,\"sim_network_ms\":%.1f,\"summed_on_arrival\":true,"
      "\"points\":%zu,\"rss_kb\":%llu}\n",
      nodes, apps, static_cast<long long>(period_ms), fill_s, peers.size(), origins, rows,
      static_cast<long long>(res.step_ms), LevelName(res.level), wall_ms.front(), Percentile(wall_ms, 50),
      wall_ms.back(), Percentile(sim_ms, 50), points,
      static_cast<unsigned long long>(bench::SelfRssKb()));
  return 0;
}

int RunLag(const std::string& dir, size_t nodes, int apps, int seconds) {
  gossip::SimPool pool(PoolOptions(nodes));
  std::vector<BenchNode*> all(nodes, nullptr);
  std::vector<std::map<uint64_t, TimePoint>> pending(nodes);
  std::vector<double> lag_ms, append_us;
  bool measuring = false;
  pool.AddComponent([&](size_t i, gossip::Gossiper& g, gossip::PeerStreams& streams) -> std::function<void()> {
    auto n = std::make_shared<BenchNode>();
    n->store = OpenOrDie(fmt::format("{}/lag-{}", dir, i), pool.id(i), true);
    n->service = std::make_unique<HistoryService>(*n->store, streams);
    n->service->SetGroupCommit(pool.clock(), kGroupCommitWindow);
    n->service->Register();
    n->replicator = std::make_unique<Replicator>(*n->store, g.membership(), streams, pool.clock());
    all[i] = n.get();
    auto next = std::make_shared<TimePoint>(pool.clock().Now());
    return [&, i, n, next] {
      const TimePoint now = pool.clock().Now();
      if (now >= *next) {
        *next = now + 1s;
        const uint64_t k = n->store->last_seq();
        auto seq = n->store->Record(MakePeriod(WallClockMs(), apps, k));
        if (seq.ok() && measuring) pending[i][*seq] = now;
      }
      n->service->Tick();
      n->replicator->Tick();
      const uint64_t durable = n->replicator->durable_seq();
      for (auto it = pending[i].begin(); it != pending[i].end() && it->first <= durable;) {
        lag_ms.push_back(ToMillis(now - it->second));
        it = pending[i].erase(it);
      }
    };
  });
  pool.Start();
  pool.RunFor(15s);  // membership, replicas chosen, copies done
  measuring = true;
  uint64_t appends0 = 0, syncs0 = 0;
  for (const auto* n : all) {
    appends0 += n->store->counters().appends;
    syncs0 += n->store->counters().log_syncs;
  }
  pool.RunFor(std::chrono::seconds(seconds));
  uint64_t appends = 0, syncs = 0;
  for (const auto* n : all) {
    appends += n->store->counters().appends;
    syncs += n->store->counters().log_syncs;
  }
  // The real cost of one synced append of a period (the replica's side).
  auto origin = OpenOrDie(dir + "/lag-origin", NodeId{999'999}, false);
  auto replica = OpenOrDie(dir + "/lag-replica", NodeId{999'998}, true);
  for (int k = 0; k < 200; ++k) {
    auto seq = origin->Record(MakePeriod(WallClockMs() + k, apps, static_cast<uint64_t>(k)));
    auto log = origin->LogAfter(*seq - 1, 1 << 20);
    const AppendBatches a{NodeId{999'999}, "", origin->incarnation(), {(*log)[0]}};
    const auto w = Wall::now();
    if (!replica->ApplyAppend(a).ok() || !replica->SyncLog().ok()) return 1;
    append_us.push_back(std::chrono::duration<double, std::micro>(Wall::now() - w).count());
  }
  std::printf(
      "{\"mode\":\"lag\",\"nodes\":%zu,\"apps\":%d,\"seconds\":%d,\"periods_acked\":%zu,\"lag_ms_p50\":%.1f,"
      "\"lag_ms_p99\":%.1f,\"lag_ms_max\":%.1f,\"gossip_tick_ms\":%.0f,\"batches_applied\":%llu,"
      "\"log_syncs\":%llu,\"synced_append_us_p50\":%.0f,\"synced_append_us_p99\":%.0f}\n",
      nodes, apps, seconds, lag_ms.size(), Percentile(lag_ms, 50), Percentile(lag_ms, 99),
      lag_ms.empty() ? 0.0 : *std::max_element(lag_ms.begin(), lag_ms.end()), ToMillis(PoolOptions(nodes).config.period),
      static_cast<unsigned long long>(appends - appends0), static_cast<unsigned long long>(syncs - syncs0),
      Percentile(append_us, 50), Percentile(append_us, 99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measures the history store: write cost, memory, a pool-wide day's query, replication lag."};
  std::string mode = "write", dir;
  size_t nodes = 128;
  int apps = 20, seconds = 60;
  int64_t period_ms = 1000;
  app.add_option("MODE", mode, "write, query, fill or lag")->check(CLI::IsMember({"write", "query", "fill", "lag"}));
  app.add_option("--dir", dir, "scratch directory (removed afterwards, but for fill)")->required();
  app.add_option("--nodes", nodes)->capture_default_str();
  app.add_option("--apps", apps)->capture_default_str();
  app.add_option("--period-ms", period_ms, "one period every this long")->capture_default_str();
  app.add_option("--seconds", seconds, "lag: how long to measure")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // Warnings (RocksDB's write stalls while filling) to stderr: standard
  // output is the JSON.
  if (!SetupLogging("warn", "history-bench", "text").ok()) return 1;
  std::filesystem::create_directories(dir);
  if (mode == "fill") return RunFill(dir, nodes, apps, period_ms);
  int rc = mode == "write" ? RunWrite(dir, apps, period_ms)
           : mode == "query" ? RunQuery(dir, nodes, apps, period_ms)
                             : RunLag(dir, nodes, apps, seconds);
  std::filesystem::remove_all(dir);
  return rc;
}
