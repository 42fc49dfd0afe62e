// Walking the history rows of a RocksDB iterator (the live store or a
// mounted archive): series by series, and one series over a period merged
// into buckets. Shared by queries, roll-ups and expiry. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rocksdb/iterator.h>

#include "core/result.h"
#include "store/keys.h"
#include "store/records.h"

namespace shoal::store {

// Calls f(name) for every series of `kind` at `level` of `origin`, in name
// order. f may move the iterator; the walk seeks past the series after it.
void ForEachSeries(rocksdb::Iterator& it, NodeId origin, SeriesKind kind, Level level,
                   const std::function<void(const std::string& name)>& f);

// Merges the rows of one series with time in [from, to) into buckets of
// `step` ms (each at its start, a multiple of step), appended to `buckets`
// in time order: a row of the last bucket there is merged into it, so a
// series read in parts (levels one after another in time) makes one run.
// Rows whose value does not parse are skipped and counted in *bad.
void ScanSeries(rocksdb::Iterator& it, NodeId origin, SeriesKind kind, Level level, const std::string& name,
                int64_t from_ms, int64_t to_ms, int64_t step_ms, std::vector<SeriesBucket>& buckets,
                uint64_t* bad);

// Bounds on one query's answer.
inline constexpr int64_t kMaxBuckets = 100'000;
inline constexpr size_t kMaxEvents = 10'000;

// Checks a query (from another node: untrusted); returns its step, at
// least the span of its level. Errors say what is wrong.
Result<int64_t> CheckQuery(const SeriesQuery& q);

// Rows of a level over [from_ms, to_ms).
struct LevelRange {
  Level level;
  int64_t from_ms, to_ms;
};

// Where one origin's answer to `q` is read: the level asked for up to its
// roll-up watermark (`watermark(level)`), then each finer level up to its
// own, so recent rows count before they are rolled up and no row counts
// twice. Where the step is whole five minutes the five-minute rows stand
// in for the minute rows as far as they go (the same sums, a fifth of the
// rows), from the first whole five minutes on.
std::vector<LevelRange> LevelParts(const SeriesQuery& q, const std::function<int64_t(Level)>& watermark);

// Appends `origin`'s answer to `q`: its series (of q's kind, and name if
// any) read from each of `parts` and merged into buckets of `step`, or its
// events over q's period. Each series is offered to `take` (if given)
// before it becomes rows (those taken are counted in out.rows_taken).
// Errors when the answer grows past kMaxRows, the buckets taken included.
Status AnswerOrigin(rocksdb::Iterator& it, NodeId origin, const SeriesQuery& q, int64_t step,
                    const std::vector<LevelRange>& parts, QueryAnswer& out, uint64_t* bad,
                    const TakeSeries& take = nullptr);
// Orders events by time (stable: an origin's keep their order).
void SortEvents(std::vector<EventRow>& events);

// The start of the bucket of `step` holding t.
inline int64_t BucketOf(int64_t t, int64_t step) { return t - ((t % step) + step) % step; }

}  // namespace shoal::store
