// The history store on a real RocksDB in a scratch directory: what a period
// records and a query returns, roll-ups that agree with the raw rows,
// retention, the log and its trim, replicas applying batches in sequence,
// refusal of malformed rows, deletion, reopening after a restart and after
// a SIGKILL mid-write, rows arriving behind a roll-up, and archives.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "store/history_store.h"
#include "store/keys.h"
#include "store/wire_codec.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::store;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, a whole hour? no: align below
constexpr int64_t kStart = kT0 - kT0 % kHourMs;

StoreOptions Options(const testing::TempDir& dir, const std::string& name = "db") {
  StoreOptions o;
  o.path = dir.File(name);
  o.sync_replica_writes = false;
  return o;
}

Period PeriodAt(int64_t t, uint32_t usage, uint32_t demand, uint32_t allocation) {
  Period p;
  p.time_ms = t;
  p.node = Sample{.usage = usage, .demand = demand, .capacity = 2000};
  p.apps.push_back({"gold", Sample{.usage = usage, .demand = demand, .booking = 500, .allocation = allocation}});
  p.apps.push_back({"bronze", Sample{.usage = 100, .demand = 100, .booking = 0, .allocation = 100}});
  return p;
}

SeriesQuery AppQuery(const std::string& name, int64_t from, int64_t to, int64_t step, Level level) {
  SeriesQuery q;
  q.name = name;
  q.from_ms = from;
  q.to_ms = to;
  q.step_ms = step;
  q.level = level;
  return q;
}

}  // namespace

TEST_CASE("History keys: round trip, order by time, and refusal of malformed keys") {
  DataKey k{NodeId{42}, SeriesKind::kApp, Level::kMinute, "web", 1234567};
  auto back = DecodeKey(EncodeKey(k));
  REQUIRE(back);
  REQUIRE(back->origin == NodeId{42});
  REQUIRE(back->name == "web");
  REQUIRE(back->time_ms == 1234567);
  REQUIRE(back->level == Level::kMinute);
  DataKey later = k;
  later.time_ms = 1234568;
  REQUIRE(EncodeKey(k) < EncodeKey(later));
  DataKey e{NodeId{42}, SeriesKind::kEvent, Level::kRaw, "policy", 5, 77};
  REQUIRE(DecodeKey(EncodeKey(e))->seq == 77);
  DataKey node{NodeId{42}, SeriesKind::kNode, Level::kRaw, "", 9};
  REQUIRE(DecodeKey(EncodeKey(node)));

  const std::string good = EncodeKey(k);
  REQUIRE_FALSE(DecodeKey(""));
  REQUIRE_FALSE(DecodeKey(good.substr(0, good.size() - 1)));  // truncated
  REQUIRE_FALSE(DecodeKey(good + "x"));                        // trailing bytes
  std::string bad_kind = good;
  bad_kind[9] = 'Z';
  REQUIRE_FALSE(DecodeKey(bad_kind));
  std::string bad_level = good;
  bad_level[10] = 7;
  REQUIRE_FALSE(DecodeKey(bad_level));
  std::string zero_origin = good;
  for (int i = 1; i <= 8; ++i) zero_origin[i] = 0;
  REQUIRE_FALSE(DecodeKey(zero_origin));
  DataKey unnamed{NodeId{42}, SeriesKind::kApp, Level::kRaw, "", 9};
  REQUIRE_FALSE(DecodeKey(EncodeKey(unnamed)));  // applications have names
  REQUIRE_FALSE(ValidName(std::string(kMaxNameBytes + 1, 'a')));
  REQUIRE_FALSE(ValidName(std::string("a\0b", 3)));
}

TEST_CASE("History store: periods recorded, queried per application and node, merged into buckets") {
  testing::TempDir dir;
  auto store = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(store.ok());
  auto& s = **store;
  for (int i = 0; i < 120; ++i) {
    // First minute: gold uses 400 of 500 allocated; second: squeezed, wants 900, gets 500.
    auto p = i < 60 ? PeriodAt(kStart + i * 1000, 400, 400, 500) : PeriodAt(kStart + i * 1000, 500, 900, 500);
    if (i == 30) p.events.push_back({"policy", "v7", "policy v7 active"});
    auto seq = s.Record(p);
    REQUIRE(seq.ok());
    REQUIRE(*seq == static_cast<uint64_t>(i + 1));
  }
  REQUIRE(s.last_seq() == 120);

  auto r = s.Query(AppQuery("gold", kStart, kStart + 120'000, 60'000, Level::kRaw));
  REQUIRE(r.ok());
  REQUIRE(r->rows.size() == 2);
  const auto& m0 = r->rows[0].figures;
  const auto& m1 = r->rows[1].figures;
  REQUIRE(r->rows[0].bucket_ms == kStart);
  REQUIRE(m0.samples == 60);
  REQUIRE(AvgUsage(m0) == 400);
  REQUIRE(m0.squeezed == 0);
  REQUIRE(m1.squeezed == 60);
  REQUIRE(AvgDemand(m1) == 900);
  REQUIRE(m1.demand_peak == 900);
  REQUIRE(AvgAllocation(m1) == 500);

  // Every application: both series; the node's own series.
  auto all = s.Query(AppQuery("", kStart, kStart + 120'000, 120'000, Level::kRaw));
  REQUIRE(all.ok());
  REQUIRE(all->rows.size() == 2);
  REQUIRE(all->rows[0].name == "bronze");
  REQUIRE(all->rows[1].name == "gold");
  auto nq = AppQuery("", kStart, kStart + 120'000, 120'000, Level::kRaw);
  nq.kind = SeriesKind::kNode;
  auto node = s.Query(nq);
  REQUIRE(node.ok());
  REQUIRE(node->rows.size() == 1);
  REQUIRE(AvgCapacity(node->rows[0].figures) == 2000);
  // Events.
  auto eq = AppQuery("", kStart, kStart + 120'000, 1000, Level::kRaw);
  eq.kind = SeriesKind::kEvent;
  auto events = s.Query(eq);
  REQUIRE(events.ok());
  REQUIRE(events->events.size() == 1);
  REQUIRE(events->events[0].event.kind == "policy");
  REQUIRE(events->events[0].event.subject == "v7");
  REQUIRE(events->events[0].time_ms == kStart + 30'000);

  // Bad queries are refused with what is wrong.
  auto empty = s.Query(AppQuery("gold", kStart, kStart, 1000, Level::kRaw));
  REQUIRE_THAT(empty.error().message, Catch::Contains("is empty"));
  auto huge = s.Query(AppQuery("gold", 0, kStart, 1, Level::kRaw));
  REQUIRE_THAT(huge.error().message, Catch::Contains("choose a larger step"));
  // From the wire: a kind or level that does not exist.
  auto bad_kind = ToWire(AppQuery("gold", kStart, kStart + 1000, 1000, Level::kRaw));
  bad_kind.set_kind('Q');
  REQUIRE_THAT(FromWire(bad_kind).error().message, Catch::Contains("unknown series kind 81"));
  bad_kind.set_kind(0x141);  // 'A' in its low byte
  REQUIRE_THAT(FromWire(bad_kind).error().message, Catch::Contains("unknown series kind"));
  bad_kind.set_kind('A');
  bad_kind.set_level(3);
  REQUIRE_THAT(FromWire(bad_kind).error().message, Catch::Contains("unknown level 3"));
}

TEST_CASE("History store: roll-ups agree with the raw rows, and retention expires each level") {
  testing::TempDir dir;
  auto opened = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(opened.ok());
  auto& s = **opened;
  // Two hours of samples every 10 s, usage rising.
  for (int i = 0; i < 720; ++i) REQUIRE(s.Record(PeriodAt(kStart + i * 10'000, i, i, 1000)).ok());
  REQUIRE(s.Maintain(kStart + 7'200'000).ok());
  const int64_t end = kStart + 7'200'000;
  auto raw = s.Query(AppQuery("gold", kStart, end, kHourMs, Level::kRaw));
  REQUIRE(raw.ok());
  REQUIRE(raw->rows.size() == 2);
  REQUIRE(raw->rows[0].figures.usage_peak == 359);
  // Every level gives the same answer: rolled-up rows as far as they go,
  // then the finer rows not rolled up yet (the last minute, the second hour).
  for (Level level : {Level::kMinute, Level::kHour}) {
    auto r = s.Query(AppQuery("gold", kStart, end, kHourMs, level));
    REQUIRE(r.ok());
    REQUIRE(r->rows.size() == 2);
    for (int i = 0; i < 2; ++i) REQUIRE(r->rows[i].figures == raw->rows[i].figures);
  }
  REQUIRE(s.Watermark(NodeId{1}, Level::kMinute) == end - 60'000);
  REQUIRE(s.Watermark(NodeId{1}, Level::kHour) == kStart + kHourMs);
  REQUIRE(s.counters().rolled_up == 3 * 119 + 3);  // 119 minutes and 1 hour of three series

  // Maintain again: nothing new to roll up, same answer.
  const uint64_t rolled = s.counters().rolled_up;
  REQUIRE(s.Maintain(kStart + 7'200'000).ok());
  REQUIRE(s.counters().rolled_up == rolled);

  // Two minutes later the node has gone quiet: its last minute and hour
  // are over by the clock and rolled up too.
  REQUIRE(s.Maintain(end + 120'000).ok());
  REQUIRE(s.Watermark(NodeId{1}, Level::kMinute) == end);
  REQUIRE(s.Watermark(NodeId{1}, Level::kHour) == kStart + 2 * kHourMs);
  // A day and an hour later the raw rows are gone, the roll-ups stay.
  REQUIRE(s.Maintain(end + kDayMs + kHourMs).ok());
  auto raw_late = s.Query(AppQuery("gold", kStart, end, kHourMs, Level::kRaw));
  REQUIRE(raw_late->rows.size() == 0);
  for (Level level : {Level::kMinute, Level::kHour}) {
    auto r = s.Query(AppQuery("gold", kStart, end, kHourMs, level));
    REQUIRE(r->rows.size() == 2);
    for (int i = 0; i < 2; ++i) REQUIRE(r->rows[i].figures == raw->rows[i].figures);
  }
  // After 32 days only the hour rows remain, and they still hold it all.
  REQUIRE(s.Maintain(end + 32 * kDayMs).ok());
  REQUIRE(s.Query(AppQuery("gold", kStart, end, kHourMs, Level::kMinute))->rows.size() == 0);
  auto hours = s.Query(AppQuery("gold", kStart, end, kHourMs, Level::kHour));
  REQUIRE(hours->rows.size() == 2);
  REQUIRE(hours->rows[1].figures == raw->rows[1].figures);
}

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
  CopySlice copy{NodeId{1}, "n1", (*origin)->incarnation(), {}, false, 200, kStart + 199'000};
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

TEST_CASE("History store: deletion, and everything survives a reopen") {
  testing::TempDir dir;
  {
    auto s = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
    for (int i = 0; i < 30; ++i) REQUIRE((*s)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300)).ok());
  }
  auto s = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(s.ok());
  REQUIRE((*s)->last_seq() == 30);
  const uint64_t incarnation = (*s)->incarnation();
  REQUIRE(*(*s)->Record(PeriodAt(kStart + 30'000, 1, 1, 1)) == 31);
  auto deleted = (*s)->Delete(DeleteRequest{.origin = {}, .app = "gold", .before_ms = kStart + 10'000, .by = "test"});
  REQUIRE(deleted.ok());
  REQUIRE(*deleted == 10);
  auto q = AppQuery("gold", kStart, kStart + 60'000, 60'000, Level::kRaw);
  REQUIRE((*s)->Query(q)->rows[0].figures.samples == 21);
  q.name = "bronze";
  REQUIRE((*s)->Query(q)->rows[0].figures.samples == 31);
  s->reset();
  auto again = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE((*again)->incarnation() == incarnation);
}

TEST_CASE("History store: a corrupt store is moved aside and a new one started, other failures refused") {
  testing::TempDir dir;
  uint64_t incarnation = 0;
  {
    auto s = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
    for (int i = 0; i < 30; ++i) REQUIRE((*s)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300)).ok());
    incarnation = (*s)->incarnation();
  }
  SECTION("RocksDB finds it corrupt") {
    dir.Write("db/CURRENT", "not a manifest name");  // no newline: RocksDB calls it corruption
    auto s = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
    REQUIRE(s.ok());
    CHECK((*s)->moved_aside() == dir.File("db.corrupt-1"));
    CHECK_THAT((*s)->corruption(), Catch::Contains("Corruption"));
    CHECK(std::filesystem::exists(dir.File("db.corrupt-1/CURRENT")));
    CHECK((*s)->last_seq() == 0);
    CHECK((*s)->incarnation() != incarnation);  // replicas restart its sequence
    REQUIRE(*(*s)->Record(PeriodAt(kStart + 60'000, 1, 1, 1)) == 1);
    s->reset();
    // Reopened, the new store is the one kept; a second corruption goes beside the first.
    auto again = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
    CHECK((*again)->moved_aside().empty());
    CHECK((*again)->last_seq() == 1);
    again->reset();
    dir.Write("db/CURRENT", "garbage");
    CHECK((*HistoryStore::Open(NodeId{1}, "n1", Options(dir)))->moved_aside() == dir.File("db.corrupt-2"));
  }
  SECTION("a store that cannot be opened for another reason is refused, not moved") {
    StoreOptions o = Options(dir);
    o.path = dir.Write("a-file", "x");
    auto s = HistoryStore::Open(NodeId{1}, "n1", o);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::Contains(o.path));
    CHECK(std::filesystem::exists(o.path));
    CHECK_FALSE(std::filesystem::exists(o.path + ".corrupt-1"));
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
    CopySlice c{NodeId{1}, "n1", (*origin)->incarnation(), {}, true, 180, kStart + 179'000};
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

TEST_CASE("History store: archive old rows into a file, mount it back, query it, and bad files are refused") {
  testing::TempDir dir;
  auto opened = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  auto& s = **opened;
  for (int i = 0; i < 600; ++i) {
    auto p = PeriodAt(kStart + i * 1000, 300 + i % 7, 300, 500);
    if (i == 10) p.events.push_back({"policy", "v1", "policy v1 active"});
    REQUIRE(s.Record(p).ok());
  }
  REQUIRE(s.Maintain(kStart + 600'000).ok());
  auto q = AppQuery("gold", kStart, kStart + 600'000, 60'000, Level::kMinute);
  const auto before = s.Query(q);
  REQUIRE(before->rows.size() == 10);

  // The first five minutes go into a file and leave the store.
  auto info = s.Archive(kStart + 300'000, dir.File("archive"));
  REQUIRE(info.ok());
  REQUIRE(info->rows > 0);
  REQUIRE(info->last_ms < kStart + 300'000);
  REQUIRE(s.Query(q)->rows.size() == 5);
  REQUIRE_THAT(s.Archive(kStart + 300'000, dir.File("archive")).error().message, Catch::Contains("already exists"));

  // Mounted, the archive answers for them, the same figures as before.
  REQUIRE(s.Mount(info->file).ok());
  REQUIRE_THAT(s.Mount(info->file).error().message, Catch::Contains("already mounted"));
  auto aq = q;
  aq.archive = true;
  auto archived = s.Query(aq);
  REQUIRE(archived.ok());
  REQUIRE(archived->rows.size() == 5);
  for (int i = 0; i < 5; ++i) REQUIRE(archived->rows[i] == before->rows[i]);
  auto eq = AppQuery("", kStart, kStart + 600'000, 1000, Level::kRaw);
  eq.kind = SeriesKind::kEvent;
  eq.archive = true;
  REQUIRE(s.Query(eq)->events.size() == 1);
  auto holdings = s.ArchiveHoldings();
  REQUIRE(holdings.size() == 1);
  REQUIRE(holdings[0].origin == NodeId{1});

  // Mounts are remembered across a restart.
  opened->reset();
  auto again = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE((*again)->Mounted().size() == 1);
  REQUIRE((*again)->Query(aq)->rows.size() == 5);
  REQUIRE((*again)->Unmount(info->file).ok());
  REQUIRE((*again)->Query(aq)->rows.size() == 0);

  // Not an archive: refused with what is wrong.
  const std::string junk = dir.Write("junk.sst", "this is not a table file");
  REQUIRE_THAT((*again)->Mount(junk).error().message, Catch::Contains("junk.sst") && Catch::Contains("cannot open"));
  REQUIRE_THAT((*again)->Mount(dir.File("missing.sst")).error().message, Catch::Contains("missing.sst"));
  // A truncated archive: refused too.
  const std::string cut = dir.File("cut.sst");
  std::filesystem::copy_file(info->file, cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) / 2);
  REQUIRE_THAT((*again)->Mount(cut).error().message, Catch::Contains("cut.sst"));
  REQUIRE((*again)->Mounted().empty());
}

TEST_CASE("History store: a writer killed with SIGKILL loses no period it was told was recorded") {
  testing::TempDir dir;
  const std::string path = dir.File("db");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    StoreOptions o;
    o.path = path;
    auto s = HistoryStore::Open(NodeId{1}, "n1", o);
    if (!s.ok()) ::_exit(1);
    for (int64_t i = 0;; ++i) {
      auto seq = (*s)->Record(PeriodAt(kStart + i * 1000, 300, 300, 300));
      if (!seq.ok()) ::_exit(2);
      // Told: only now does the parent count it.
      if (::write(fds[1], &*seq, sizeof *seq) != sizeof *seq) ::_exit(3);
    }
  }
  ::close(fds[1]);
  uint64_t told = 0, seq = 0;
  // Polled, so a child that hangs (a lock held across fork by another
  // thread of this process) fails the test instead of blocking it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    pollfd p{.fd = fds[0], .events = POLLIN, .revents = 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    if (::poll(&p, 1, static_cast<int>(left) + 1) <= 0) continue;
    if (::read(fds[0], &seq, sizeof seq) != sizeof seq) break;
    told = seq;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(told > 100);
  auto s = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(s.ok());
  REQUIRE((*s)->last_seq() >= told);
  auto q = AppQuery("gold", kStart, kStart + static_cast<int64_t>(told) * 1000, static_cast<int64_t>(told) * 1000,
                    Level::kRaw);
  auto r = (*s)->Query(q);
  uint64_t samples = 0;
  for (const auto& row : r->rows) samples += row.figures.samples;
  REQUIRE(samples == told);
  // The log holds every batch too, for the replicas.
  auto log = (*s)->LogAfter(0, 1 << 30);
  REQUIRE(log);
  REQUIRE(log->size() >= told);
}
