// A history store as a replica, on a real RocksDB: the origin's log served
// to it, batches applied strictly in sequence, malformed or foreign rows
// refused whole, the log trimmed to what replicas acknowledged, a copy of
// every older row, and roll-ups redone for rows that arrive behind them.
#include <catch2/catch.hpp>

#include "store/history_store.h"
#include "store/keys.h"
#include "test/store/store_fixtures.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

TEST_CASE("History store: the log serves replicas, a replica applies in sequence and refuses bad rows") {
  testing::TempDir dir;
  auto origin = HistoryStore::Open(NodeId{1}, "n1", Options(dir, "origin"));
  auto replica = HistoryStore::Open(NodeId{2}, "n2", Options(dir, "replica"));
  REQUIRE(origin.ok());
  REQUIRE(replica.ok());
  for (int i = 0; i < 10; ++i) REQUIRE((*origin)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300)).ok());

  auto log = (*origin)->LogAfter(0, 1 << 20);
  REQUIRE(log);
  REQUIRE(log->size() == 10);
  AppendBatches append{NodeId{1}, "n1", (*origin)->incarnation(), {}};
  // Batches 1-3, then 6 (a gap): 1-3 are applied, the gap stops it.
  for (int i : {0, 1, 2, 5}) append.batches.push_back((*log)[i]);
  auto acked = (*replica)->ApplyAppend(append);
  REQUIRE(acked.ok());
  REQUIRE(*acked == 3);
  REQUIRE((*replica)->counters().gaps == 1);
  // All ten, again from 1: duplicates skipped.
  append.batches = *log;
  REQUIRE(*(*replica)->ApplyAppend(append) == 10);
  REQUIRE((*replica)->counters().duplicates == 3);
  auto held = (*replica)->HeldOf(NodeId{1});
  REQUIRE(held);
  REQUIRE(held->name == "n1");
  REQUIRE(held->last_ms == kStart + 9000);
  // The replica answers for the origin like the origin does.
  auto q = AppQuery("gold", kStart, kStart + 60'000, 60'000, Level::kRaw);
  q.origins = {NodeId{1}};
  REQUIRE((*replica)->Query(q)->rows[0].figures ==
          (*origin)->Query(q)->rows[0].figures);

  SECTION("rows of another origin are refused whole") {
    AppendBatches forged = append;
    forged.origin = NodeId{3};
    auto r = (*replica)->ApplyAppend(forged);
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.error().message, Catch::Contains("a row of another origin"));
  }
  SECTION("a malformed key or value is refused whole, naming the batch") {
    AppendBatches bad{NodeId{1}, "", (*origin)->incarnation(), {LogBatch{11, 0, {RawRow{"not a key", ""}}}}};
    auto r = (*replica)->ApplyAppend(bad);
    REQUIRE_THAT(r.error().message, Catch::Contains("batch 11") && Catch::Contains("not a history key"));
    RawRow& row = bad.batches[0].rows[0];
    row.key = EncodeKey({NodeId{1}, SeriesKind::kApp, Level::kRaw, "gold", kStart + 20'000});
    row.value = "\xff\xff\xff";
    r = (*replica)->ApplyAppend(bad);
    REQUIRE_THAT(r.error().message, Catch::Contains("does not parse"));
    REQUIRE((*replica)->HeldOf(NodeId{1})->applied_seq == 10);  // nothing of it applied
  }
  SECTION("an origin's own rows cannot be sent to it") {
    REQUIRE_FALSE((*origin)->ApplyAppend(append).ok());
  }
  SECTION("a recreated origin store restarts the sequence") {
    AppendBatches fresh{append.origin, append.origin_name, append.incarnation + 1, {(*log)[0]}};
    REQUIRE(*(*replica)->ApplyAppend(fresh) == 1);
  }
  SECTION("the log is trimmed to what replicas have not acknowledged") {
    REQUIRE((*origin)->SaveReplica(NodeId{2}, ReplicaState{.acked_seq = 4, .copying = false, .copy_cursor = {},
                                                           .copy_base = 0, .copy_base_ms = 0})
                .ok());
    REQUIRE((*origin)->Maintain(kStart + 10'000).ok());
    REQUIRE_FALSE((*origin)->LogAfter(0, 1 << 20));  // batch 1 is gone
    auto rest = (*origin)->LogAfter(4, 1 << 20);
    REQUIRE(rest);
    REQUIRE(rest->front().seq == 5);
    REQUIRE(rest->size() == 6);
  }
}

TEST_CASE("History store: a copy brings a new replica every row, then the log continues it") {
  testing::TempDir dir;
  auto origin = HistoryStore::Open(NodeId{1}, "n1", Options(dir, "origin"));
  auto replica = HistoryStore::Open(NodeId{2}, "n2", Options(dir, "replica"));
  for (int i = 0; i < 200; ++i) REQUIRE((*origin)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300)).ok());
  REQUIRE((*origin)->Maintain(kStart + 200'000).ok());  // minute rows too
  CopySlice copy{NodeId{1}, "n1", (*origin)->incarnation(), {}, false, 200, kStart + 199'000, {}};
  std::string cursor;
  bool done = false;
  int slices = 0;
  while (!done) {
    copy.rows = (*origin)->RowsAfter(NodeId{1}, cursor, 4096, &done);
    if (!copy.rows.empty()) cursor = copy.rows.back().key;
    copy.last = done;
    REQUIRE((*replica)->ApplyCopy(copy).ok());
    ++slices;
  }
  REQUIRE(slices > 3);
  REQUIRE((*replica)->HeldOf(NodeId{1})->applied_seq == 200);
  for (Level level : {Level::kRaw, Level::kMinute}) {
    auto q = AppQuery("", kStart, kStart + 200'000, 60'000, level);
    q.origins = {NodeId{1}};
    auto a = (*origin)->Query(q);
    auto b = (*replica)->Query(q);
    REQUIRE(a->rows.size() == b->rows.size());
    REQUIRE(a->rows.size() > 0);
    for (size_t i = 0; i < a->rows.size(); ++i) REQUIRE(a->rows[i] == b->rows[i]);
  }
}

TEST_CASE("History store: rows that arrive behind a roll-up are rolled up again") {
  testing::TempDir dir;
  auto origin = HistoryStore::Open(NodeId{1}, "n1", Options(dir, "origin"));
  auto replica = HistoryStore::Open(NodeId{2}, "n2", Options(dir, "replica"));
  for (int i = 0; i < 180; ++i) REQUIRE((*origin)->Record(PeriodAt(kStart + i * 1000, i, i, 500)).ok());
  bool done = false;
  auto rows = (*origin)->RowsAfter(NodeId{1}, "", 1 << 30, &done);
  REQUIRE(done);
  auto copy_of = [&](bool early) {
    CopySlice c{NodeId{1}, "n1", (*origin)->incarnation(), {}, true, 180, kStart + 179'000, {}};
    for (const auto& r : rows) {
      if ((DecodeKey(r.key)->time_ms < kStart + 60'000) == early) c.rows.push_back(r);
    }
    return c;
  };
  const int64_t now = kStart + 300'000;
  // The later two minutes first, rolled up; then the first minute arrives.
  REQUIRE((*replica)->ApplyCopy(copy_of(false)).ok());
  REQUIRE((*replica)->Maintain(now).ok());
  REQUIRE((*replica)->ApplyCopy(copy_of(true)).ok());
  REQUIRE((*replica)->HeldOf(NodeId{1})->stale_from_ms == kStart);
  REQUIRE((*replica)->Maintain(now).ok());
  REQUIRE((*replica)->HeldOf(NodeId{1})->stale_from_ms == 0);
  REQUIRE((*origin)->Maintain(now).ok());
  auto q = AppQuery("gold", kStart, kStart + 180'000, 60'000, Level::kMinute);
  q.origins = {NodeId{1}};
  auto a = (*origin)->Query(q);
  auto b = (*replica)->Query(q);
  REQUIRE(a->rows.size() == 3);
  REQUIRE(b->rows.size() == 3);
  for (int i = 0; i < 3; ++i) REQUIRE(a->rows[i] == b->rows[i]);
}

TEST_CASE("History store: rows of a time span come in slices that look at a bounded number of rows") {
  testing::TempDir dir;
  auto origin = HistoryStore::Open(NodeId{1}, "n1", Options(dir, "origin"));
  REQUIRE(origin.ok());
  for (int i = 0; i < 2000; ++i) REQUIRE((*origin)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300)).ok());
  const RowTimes span{kStart + 1500 * 1000, kStart + 1600 * 1000};
  std::string cursor;
  size_t calls = 0, empty_calls = 0, rows = 0;
  for (bool done = false; !done; ++calls) {
    std::string scanned_to;
    auto slice = (*origin)->RowsAfter(NodeId{1}, cursor, 512, &done, span, &scanned_to);
    for (const auto& row : slice) {
      auto key = DecodeKey(row.key);
      REQUIRE(key);
      CHECK(key->time_ms >= span.from_ms);
      CHECK(key->time_ms < span.before_ms);
    }
    rows += slice.size();
    empty_calls += slice.empty() && !done;
    REQUIRE(scanned_to > cursor);  // each call goes on from where the last looked
    cursor = scanned_to;
    REQUIRE(calls < 10'000);
  }
  // Every row of the 100 periods in the span (a node's and two
  // applications' each), none outside; many calls looked only at rows
  // outside it.
  CHECK(rows == 300);
  CHECK(empty_calls > 5);
}
