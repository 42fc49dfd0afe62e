// A history answer on the wire (store/wire_codec.h): rows as Rows or in
// columns (SeriesColumns) read back to the same rows, columns take a
// fraction of the bytes, a bad column is refused with what is wrong, and a
// holder answers in columns only when the asker says it reads them (older
// askers read rows).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>

#include <catch2/catch.hpp>

#include "gossip/sim/sim_network.h"
#include "gossip/sim/sim_streams.h"
#include "store/history_service.h"
#include "store/wire_codec.h"
#include "test/store/store_fixtures.h"

using namespace shoal;
using namespace shoal::store;
using namespace shoal::store::testing_support;

namespace {

Figures Some(uint64_t k) {
  return Figures{.samples = static_cast<uint32_t>(10 + k % 3),
                 .usage_sum = 4000 + k * 7,
                 .usage_peak = static_cast<uint32_t>(900 + k),
                 .demand_sum = 5000 + k * 11,
                 .demand_peak = 1000,
                 .booking_sum = 2500,
                 .allocation_sum = 6000 + k,
                 .capacity_sum = 20000,
                 .rss_kb_sum = 81920 + k * 13,
                 .processes_sum = 30,
                 .squeezed = static_cast<uint32_t>(k % 2),
                 .idle = 0};
}

// Two origins of two series each, a day of five-minute buckets, as a
// holder answers (runs of one origin's series in bucket order), and a
// series whose times span the whole of int64.
QueryAnswer Day() {
  QueryAnswer a;
  a.level = Level::kMinute;
  for (uint64_t origin : {0x1234567890abcdefULL, 7ULL}) {
    for (const char* name : {"batch", "web"}) {
      for (int64_t b = 0; b < 288; ++b) {
        a.rows.push_back({NodeId{origin}, name, kStart + b * 300'000, Some(static_cast<uint64_t>(b))});
      }
    }
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  for (int64_t t : {kMin, int64_t{-1}, int64_t{0}, kMax}) a.rows.push_back({NodeId{9}, "", t, Some(1)});
  a.events.push_back({NodeId{7}, kStart + 1000, EventRecord{"policy", "v7", "policy v7 active"}});
  return a;
}

}  // namespace

TEST_CASE("History answers: columns read back to the rows that Rows carry, in under half the bytes") {
  const QueryAnswer day = Day();
  const wire::QueryResult as_rows = ToWire(QueryAnswer(day), false);
  const wire::QueryResult as_columns = ToWire(QueryAnswer(day), true);
  REQUIRE(as_rows.series_size() == 0);
  REQUIRE(as_columns.rows_size() == 0);
  REQUIRE(as_columns.series_size() == 5);  // one per origin's series
  for (const wire::QueryResult& w : {as_rows, as_columns}) {
    auto back = FromWire(wire::QueryResult(w));
    REQUIRE(back.ok());
    REQUIRE(back->level == Level::kMinute);
    REQUIRE(back->rows == day.rows);
    REQUIRE(back->events.size() == 1);
    REQUIRE(back->events[0].event.text == "policy v7 active");
  }
  INFO("rows " << as_rows.ByteSizeLong() << " bytes, columns " << as_columns.ByteSizeLong());
  REQUIRE(as_columns.ByteSizeLong() * 2 < as_rows.ByteSizeLong());
}

TEST_CASE("History answers: series in columns offered to a taker are not made rows, the others are") {
  const QueryAnswer day = Day();
  size_t taken = 0;
  auto read = FromWire(ToWire(QueryAnswer(day), true),
                       [&](NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets) {
                         if (origin != NodeId{7}) return false;
                         REQUIRE((name == "batch" || name == "web"));
                         REQUIRE(buckets.size() == 288);
                         REQUIRE(buckets[1].bucket_ms == kStart + 300'000);
                         REQUIRE(buckets[1].figures == Some(1));
                         taken += buckets.size();
                         return true;
                       });
  REQUIRE(read.ok());
  REQUIRE(taken == 2 * 288);
  REQUIRE(read->rows.size() == day.rows.size() - taken);
  REQUIRE(std::none_of(read->rows.begin(), read->rows.end(), [](const SeriesRow& r) { return r.origin == NodeId{7}; }));
  // A bad column anywhere: refused before anything is offered.
  wire::QueryResult bad = ToWire(QueryAnswer(day), true);
  bad.mutable_series(4)->mutable_idle()->Clear();
  bool offered = false;
  REQUIRE_FALSE(FromWire(std::move(bad), [&](NodeId, const std::string&, std::span<const SeriesBucket>) {
                  offered = true;
                  return true;
                }).ok());
  REQUIRE_FALSE(offered);
}

TEST_CASE("History answers: columns of unequal length are refused, naming the series and origin") {
  wire::QueryResult w = ToWire(Day(), true);
  w.mutable_series(1)->mutable_rss_kb_sum()->RemoveLast();
  auto refused = FromWire(std::move(w));
  REQUIRE_FALSE(refused.ok());
  REQUIRE_THAT(refused.error().message,
               Catch::Contains("series 'web' of origin 1234567890abcdef") && Catch::Contains("unequal length"));
  wire::QueryResult extra = ToWire(Day(), true);
  extra.mutable_series(0)->add_bucket_step_ms(300'000);
  REQUIRE_FALSE(FromWire(std::move(extra)).ok());
}

TEST_CASE("History answers: a holder answers in columns only when asked for them") {
  testing::TempDir dir;
  auto store = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(store.ok());
  for (int i = 0; i < 120; ++i) REQUIRE((*store)->Record(PeriodAt(kStart + i * 1000, 400, 500, 500)).ok());
  ManualClock clock;
  gossip::SimNetwork net(clock, 1);
  gossip::SimStreamHub hub(net);
  HistoryService service(**store, hub.Attach(Endpoint{0x0a000001, 1}, NodeId{1}));

  auto ask = [&](bool columns) {
    wire::Request r;
    *r.mutable_query() = ToWire(AppQuery("", kStart, kStart + 120'000, 10'000, Level::kRaw));
    r.mutable_query()->set_columns(columns);
    auto answer = service.Handle(NodeId{1}, std::move(r));
    REQUIRE(answer.ok());
    REQUIRE(answer->has_result());
    return std::move(*answer->mutable_result());
  };
  wire::QueryResult old_form = ask(false), new_form = ask(true);
  REQUIRE(old_form.rows_size() == 24);  // two applications, twelve buckets
  REQUIRE(old_form.series_size() == 0);
  REQUIRE(new_form.rows_size() == 0);
  REQUIRE(new_form.series_size() == 2);
  auto a = FromWire(std::move(old_form)), b = FromWire(std::move(new_form));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->rows == b->rows);
  REQUIRE(a->rows.size() == 24);
}

TEST_CASE("History answers: a store's query offers each series to a taker, which keeps the taken out of the rows") {
  testing::TempDir dir;
  auto store = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(store.ok());
  for (int i = 0; i < 120; ++i) REQUIRE((*store)->Record(PeriodAt(kStart + i * 1000, 400, 500, 500)).ok());
  const SeriesQuery q = AppQuery("", kStart, kStart + 120'000, 10'000, Level::kRaw);
  auto all = (*store)->Query(q);
  REQUIRE(all.ok());
  REQUIRE(all->rows.size() == 24);
  std::vector<std::string> offered;
  std::vector<SeriesBucket> first;
  auto some = (*store)->Query(q, [&](NodeId origin, const std::string& name, std::span<const SeriesBucket> b) {
    CHECK(origin == NodeId{1});
    offered.push_back(name);
    if (offered.size() > 1) return false;
    first.assign(b.begin(), b.end());
    return true;
  });
  REQUIRE(some.ok());
  REQUIRE(offered.size() == 2);
  CHECK(some->rows_taken == 12);
  REQUIRE(some->rows.size() == 12);
  CHECK(std::all_of(some->rows.begin(), some->rows.end(), [&](const SeriesRow& r) { return r.name == offered[1]; }));
  // What was taken is what the rows would have said.
  std::vector<SeriesBucket> expected;
  for (const SeriesRow& r : all->rows) {
    if (r.name == offered[0]) expected.push_back({r.bucket_ms, r.figures});
  }
  // A series with rows, none of them in the period, is offered nothing.
  auto later = (*store)->Query(AppQuery("", kStart + 200'000, kStart + 300'000, 10'000, Level::kRaw),
                               [](NodeId, const std::string&, std::span<const SeriesBucket>) {
                                 FAIL("offered a series with no bucket in the period");
                                 return true;
                               });
  REQUIRE(later.ok());
  CHECK(later->rows.empty());
  CHECK(later->rows_taken == 0);
  REQUIRE(first.size() == expected.size());
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].bucket_ms == expected[i].bucket_ms);
    CHECK(first[i].figures == expected[i].figures);
  }
}
