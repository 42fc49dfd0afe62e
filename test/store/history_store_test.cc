// The history store on a real RocksDB in a scratch directory: what a period
// records and a query returns, roll-ups that agree with the raw rows,
// retention, deletion, a corrupt store moved aside, reopening after a
// restart and after a SIGKILL mid-write, and archives. A replica's side is
// in store_replica_test.cc, a series scanned past bad rows in scan_test.cc.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>
#include <rocksdb/db.h>
#include <rocksdb/env.h>

#include "store/history_store.h"
#include "store/keys.h"
#include "store/scan.h"
#include "store/wire_codec.h"
#include "test/store/store_fixtures.h"

using namespace shoal;
using namespace shoal::store;

using namespace shoal::store::testing_support;

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
  bad_kind.set_level(4);
  REQUIRE_THAT(FromWire(bad_kind).error().message, Catch::Contains("unknown level 4"));
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
  REQUIRE(s.Watermark(NodeId{1}, Level::kFiveMinutes) == kStart + 23 * 300'000);
  // 119 minutes, 23 five minutes and 1 hour of three series.
  REQUIRE(s.counters().rolled_up == 3 * 119 + 3 * 23 + 3);

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

TEST_CASE("History store: five-minute rows answer as the minutes do, and stay with their holder") {
  testing::TempDir dir;
  auto opened = HistoryStore::Open(NodeId{1}, "n1", Options(dir));
  REQUIRE(opened.ok());
  auto& s = **opened;
  // Three hours of samples every 10 s, usage moving every sample.
  for (int i = 0; i < 1080; ++i) REQUIRE(s.Record(PeriodAt(kStart + i * 10'000, i % 97, i % 89, 1000)).ok());
  const int64_t end = kStart + 3 * kHourMs;
  REQUIRE(s.Maintain(end + 120'000).ok());
  REQUIRE(s.Watermark(NodeId{1}, Level::kFiveMinutes) == end);
  // From a start inside a five minutes (and a minute), in steps of five
  // minutes: the raw rows, the minutes alone and the five minutes agree.
  const int64_t from = kStart + 7 * 60'000 + 20'000;
  const auto raw = s.Query(AppQuery("gold", from, end, 300'000, Level::kRaw));
  const auto minutes = s.Query(AppQuery("gold", from, end, 300'000, Level::kMinute));
  REQUIRE(raw.ok());
  REQUIRE(minutes.ok());
  REQUIRE(raw->rows.size() == 35);
  REQUIRE(minutes->rows.size() == raw->rows.size());
  for (size_t i = 1; i < raw->rows.size(); ++i) REQUIRE(minutes->rows[i] == raw->rows[i]);
  // The first bucket holds the minutes from the first whole one on.
  REQUIRE(minutes->rows[0].figures.samples == 12);  // 8:00 to 10:00 (raw: 16, from 7:20)
  const SeriesQuery q = AppQuery("gold", from, end, 300'000, Level::kMinute);
  const auto parts = LevelParts(q, [&](Level l) { return s.Watermark(NodeId{1}, l); });
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].level == Level::kMinute);
  CHECK(parts[0].to_ms == kStart + 10 * 60'000);
  CHECK(parts[1].level == Level::kFiveMinutes);
  CHECK(parts[1].to_ms == end);
  // A step of whole minutes but not of five: no five-minute rows read.
  const SeriesQuery odd = AppQuery("gold", from, end, 7 * 60'000, Level::kMinute);
  for (const auto& p : LevelParts(odd, [&](Level l) { return s.Watermark(NodeId{1}, l); })) {
    CHECK(p.level != Level::kFiveMinutes);
  }

  // A store from before five-minute rows (here: twelve days of rows, none
  // of five minutes) makes them a bounded pass at a time: five days each.
  testing::TempDir old_dir;
  auto behind = HistoryStore::Open(NodeId{1}, "n1", Options(old_dir));
  REQUIRE(behind.ok());
  const int64_t twelve_days = kStart + 12 * kDayMs;
  for (int64_t t = kStart; t < twelve_days; t += 600'000) REQUIRE((*behind)->Record(PeriodAt(t, 1, 1, 1)).ok());
  REQUIRE((*behind)->Maintain(twelve_days + 120'000).ok());
  const int64_t first_pass = (*behind)->Watermark(NodeId{1}, Level::kFiveMinutes);
  REQUIRE(first_pass == kStart + 1'440 * 300'000);
  REQUIRE((*behind)->Maintain(twelve_days + 180'000).ok());
  REQUIRE((*behind)->Watermark(NodeId{1}, Level::kFiveMinutes) == first_pass + 1'440 * 300'000);

  // Never sent: a replica's copy holds none, and one offered is refused.
  bool done = false;
  const auto rows = s.RowsAfter(NodeId{1}, "", 64 << 20, &done);
  REQUIRE(done);
  REQUIRE_FALSE(rows.empty());
  for (const RawRow& row : rows) REQUIRE_FALSE(IsFiveMinuteRow(row.key));
  const std::string five =
      SeriesAt(NodeId{2}, SeriesKind::kApp, Level::kFiveMinutes, "gold", kStart);
  DataKey key;
  REQUIRE_THAT(CheckRow(RawRow{five, EncodeFigures(Figures{})}, NodeId{2}, &key),
               Catch::Contains("five-minute row"));
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

TEST_CASE("History figures: read by hand as protobuf writes them, later fields skipped, malformed bytes refused") {
  Figures f{.samples = UINT32_MAX,
            .usage_sum = UINT64_MAX,
            .usage_peak = 7,
            .demand_sum = 1ull << 40,
            .demand_peak = 0,
            .booking_sum = 3,
            .allocation_sum = 4,
            .capacity_sum = 5,
            .rss_kb_sum = 6,
            .processes_sum = 8,
            .squeezed = 9,
            .idle = 10};
  const std::string bytes = EncodeFigures(f);
  REQUIRE(DecodeFigures(bytes) == f);
  CHECK(DecodeFigures("") == Figures{});
  // A later version's fields (13 varint, 14 bytes, 15 fixed64, 16 fixed32)
  // are skipped; a field met twice keeps the last value, as in protobuf.
  const std::string later = bytes + std::string("\x68\x05\x72\x02hi\x79", 7) + std::string(8, '\x01') +
                            std::string("\x85\x01", 2) + std::string(4, '\x02') + std::string("\x18\x2a", 2);
  Figures expect = f;
  expect.usage_peak = 42;
  CHECK(DecodeFigures(later) == expect);
  // A uint32 field given more than 32 bits keeps the low ones.
  CHECK(DecodeFigures(std::string("\x08\x80\x80\x80\x80\x10", 6))->samples == 0);
  // Refused: cut short anywhere, a group, field 0, a length past the end,
  // a varint of 11 bytes.
  for (size_t n = 1; n < bytes.size(); ++n) {
    auto cut = DecodeFigures(bytes.substr(0, n));
    if (cut) CHECK(cut != f);  // a cut between fields reads as fewer fields
  }
  CHECK_FALSE(DecodeFigures(std::string("\x0b\x0c", 2)));
  CHECK_FALSE(DecodeFigures(std::string("\x00\x01", 2)));
  CHECK_FALSE(DecodeFigures(std::string("\x72\x05hi", 4)));
  CHECK_FALSE(DecodeFigures(std::string("\x10") + std::string(10, '\xff') + std::string("\x01")));
}
