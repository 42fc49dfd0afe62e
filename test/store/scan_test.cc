// One series of the history's rows scanned into buckets (store/scan.h), on
// a real RocksDB in memory: rows merged by bucket, rows with a bad key or
// value counted and skipped, a series read in parts one after another in
// time.
#include <memory>

#include <catch2/catch.hpp>
#include <rocksdb/db.h>
#include <rocksdb/env.h>

#include "store/keys.h"
#include "store/scan.h"
#include "store/wire_codec.h"

using namespace shoal;
using namespace shoal::store;

TEST_CASE("History scan: a series merged into buckets, rows with a bad key or value counted and skipped") {
  std::unique_ptr<rocksdb::Env> env(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  rocksdb::Options o;
  o.env = env.get();
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(o, "/scan", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const NodeId origin{7};
  auto put = [&](const std::string& key, const std::string& value) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, value).ok());
  };
  auto row = [&](const std::string& name, int64_t t, uint32_t usage) {
    Figures f;
    f.samples = 1;
    f.usage_sum = usage;
    f.usage_peak = usage;
    put(EncodeKey(DataKey{origin, SeriesKind::kApp, Level::kMinute, name, t}), EncodeFigures(f));
  };
  for (int64_t t = 0; t < 10; ++t) row("web", t * 60'000, static_cast<uint32_t>(100 + t));
  row("webx", 60'000, 9'999);  // another series sharing the name's start
  // A key one byte too long, among the period's rows.
  put(SeriesAt(origin, SeriesKind::kApp, Level::kMinute, "web", 120'000) + "x", EncodeFigures(Figures{}));
  put(SeriesAt(origin, SeriesKind::kApp, Level::kMinute, "web", 90'000), "\xff\xff not figures");
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::vector<SeriesBucket> buckets;
  uint64_t bad = 0;
  // Minutes 1 to 8 in buckets of five: [0, 5) and [5, 10) minutes.
  ScanSeries(*it, origin, SeriesKind::kApp, Level::kMinute, "web", 60'000, 9 * 60'000, 300'000, buckets, &bad);
  CHECK(bad == 2);
  REQUIRE(buckets.size() == 2);
  CHECK(buckets[0].bucket_ms == 0);
  CHECK(buckets[0].figures.samples == 4);
  CHECK(buckets[0].figures.usage_sum == 101 + 102 + 103 + 104);
  CHECK(buckets[1].bucket_ms == 300'000);
  CHECK(buckets[1].figures.samples == 4);
  CHECK(buckets[1].figures.usage_sum == 105 + 106 + 107 + 108);
  CHECK(buckets[1].figures.usage_peak == 108);
  // A series read in parts, one after another in time (a coarser level,
  // then a finer one): the bucket the parts share is one bucket.
  buckets.clear();
  ScanSeries(*it, origin, SeriesKind::kApp, Level::kMinute, "web", 0, 2 * 60'000, 300'000, buckets, &bad);
  ScanSeries(*it, origin, SeriesKind::kApp, Level::kMinute, "web", 2 * 60'000, 6 * 60'000, 300'000, buckets, &bad);
  REQUIRE(buckets.size() == 2);
  CHECK(buckets[0].figures.samples == 5);
  CHECK(buckets[0].figures.usage_sum == 100 + 101 + 102 + 103 + 104);
  CHECK(buckets[1].figures.samples == 1);
  CHECK(buckets[1].figures.usage_sum == 105);
}
