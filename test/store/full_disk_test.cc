// The history store on a real, small tmpfs that fills up: every write and
// sync fails with a clear error while the disk is full (never an abort, as
// RocksDB 7.8 does when a file writer that failed is used again), nothing
// recorded before the disk filled is lost, and the store records again on
// its own once space is back. Needs root to mount; the mount is removed
// even when the test fails.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "store/history_store.h"
#include "test/store/store_fixtures.h"
#include "test/support/small_tmpfs.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

namespace {

// A period with many applications, so the disk fills in few periods.
Period WidePeriod(int64_t t) {
  Period p = PeriodAt(t, 500, 600, 550);
  for (int i = 0; i < 40; ++i) {
    p.apps.push_back({"app-" + std::to_string(i), Sample{.usage = 10u + static_cast<uint32_t>(i), .demand = 20}});
  }
  return p;
}

// Samples of "gold" in the raw rows of [from, to).
uint64_t GoldSamples(HistoryStore& store, int64_t from, int64_t to) {
  auto r = store.Query(AppQuery("gold", from, to, to - from, Level::kRaw));
  REQUIRE(r.ok());
  uint64_t n = 0;
  for (const auto& row : r->rows) n += row.figures.samples;
  return n;
}

}  // namespace

TEST_CASE("History store on a full disk: clear errors, no abort, nothing lost, records again once space is back",
          "[disk]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot mount a tmpfs; the full-disk test did not run");
    return;
  }
  testing::SmallTmpfs fs(8 << 20);
  StoreOptions o;
  o.path = fs.path + "/history";
  o.memtable_bytes = 256 << 10;
  o.sync_replica_writes = true;
  auto opened = HistoryStore::Open(NodeId{7}, "node-7", o);
  REQUIRE(opened.ok());
  auto store = std::move(*opened);

  // Every period whose Record and the next SyncLog both succeeded is
  // acknowledged: it must be there at the end.
  int64_t t = kStart;
  uint64_t acknowledged = 0, failures = 0;
  std::string message;
  auto period = [&] {
    auto seq = store->Record(WidePeriod(t));
    t += 1000;
    if (seq.ok() && store->SyncLog().ok()) return ++acknowledged, true;
    ++failures;
    message = seq.ok() ? "the sync failed" : seq.error().message;
    return false;
  };
  for (int i = 0; i < 50; ++i) REQUIRE(period());
  const std::string filler = fs.Fill();
  for (int i = 0; i < 300; ++i) {
    period();
    (void)store->Maintain(t);
  }
  REQUIRE(failures > 0);
  REQUIRE(!store->writing());
  INFO(message);
  REQUIRE_THAT(message, Catch::Contains("No space left on device") && Catch::Contains("recording a period"));

  // Space back: RocksDB looks for it every 5 s by itself; a period's
  // Record asks it too, then the store opens the database again.
  std::filesystem::remove(filler);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!period() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(store->writing());
  REQUIRE(store->counters().write_resumes == 1);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(period());
    REQUIRE(store->Maintain(t).ok());
  }

  // Opened again from disk: every acknowledged period is there, once.
  store.reset();
  auto again = HistoryStore::Open(NodeId{7}, "node-7", o);
  REQUIRE(again.ok());
  CHECK((*again)->moved_aside().empty());
  CHECK(GoldSamples(**again, kStart, t) == acknowledged);
}
