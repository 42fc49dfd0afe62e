// The history store's vocabulary: what a query asks and answers, what a
// node holds, and what replication moves. Plain values; the protobuf forms
// exist only where these cross the network (store/wire_codec.h) or reach
// the disk (store/encoding.h). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "store/figures.h"
#include "store/keys.h"

namespace shoal::store {

// --- queries ---

// The rows of one kind of series over [from_ms, to_ms), merged into
// buckets of step_ms, read at `level` as far as it is rolled up.
struct SeriesQuery {
  SeriesKind kind = SeriesKind::kApp;
  std::string name;          // application, pipe or event kind; empty: all
  bool name_prefix = false;  // name "uplink" also means "uplink/..." (pipes)
  std::vector<NodeId> origins;  // whose rows; empty: all held
  int64_t from_ms = 0, to_ms = 0, step_ms = 0;
  Level level = Level::kRaw;
  bool archive = false;  // answer from mounted archives instead
};

// The rows of one origin's series merged into one bucket.
struct SeriesRow {
  NodeId origin;
  std::string name;  // empty for a node's own series
  int64_t bucket_ms = 0;
  Figures figures;
  bool operator==(const SeriesRow&) const = default;
};

// One bucket of a series whose origin and name are known.
struct SeriesBucket {
  int64_t bucket_ms = 0;
  Figures figures;
};

struct EventRecord {
  std::string kind;  // a name: "policy", "failure", "unmet", "deleted", ...
  std::string subject;
  std::string text;
};

struct EventRow {
  NodeId origin;
  int64_t time_ms = 0;
  EventRecord event;
};

// Bound on one answer's rows (a node's, or one holder's part of a pool's).
inline constexpr size_t kMaxRows = 2'000'000;

struct QueryAnswer {
  std::vector<SeriesRow> rows;
  std::vector<EventRow> events;  // by time
  Level level = Level::kRaw;     // the level the rows came from
  size_t rows_taken = 0;         // buckets given to a TakeSeries instead of rows
};

// What to do with one origin's series, in bucket order, as a query reads
// it: true when taken (summed, or put in columns), false to keep it in the
// answer's rows.
using TakeSeries = std::function<bool(NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets)>;

// Which origins a node holds rows of, and over when.
struct Holding {
  NodeId origin;
  std::string name;
  int64_t first_ms = 0, last_ms = 0;
  bool archive = false;  // rows of a mounted archive
  uint64_t incarnation = 0;  // HeldState's
  uint32_t lives = 1;
};

// An operator's deletion: rows of `origin` (invalid: every origin), of
// application `app` (empty: every series), before `before_ms` (0: all).
struct DeleteRequest {
  NodeId origin;
  std::string app;
  int64_t before_ms = 0;
  std::string by;  // who asked, for the log
};

// --- replication ---

// One stored row as it is: its key (store/keys.h) and encoded value.
struct RawRow {
  std::string key, value;
};

// What the origin recorded in one sampling period: the unit of
// replication.
struct LogBatch {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  std::vector<RawRow> rows;
};

// The origin's batches for a replica, in sequence.
struct AppendBatches {
  NodeId origin;
  std::string origin_name;
  uint64_t incarnation = 0;  // of the origin's store; a new one restarts the sequence
  std::vector<LogBatch> batches;
};

// A slice of the rows an origin's holder has of it, in key order; the last
// slice stands for every batch up to through_seq (recorded up to
// through_ms).
struct CopySlice {
  NodeId origin;
  std::string origin_name;
  uint64_t incarnation = 0;
  std::vector<RawRow> rows;
  bool last = false;
  uint64_t through_seq = 0;
  int64_t through_ms = 0;
  std::string scanned_to;  // to a restore: the last key looked at
};

// What a node holds of one origin (itself included).
struct HeldState {
  uint64_t incarnation = 0;  // the origin's store; recreated => a new number
  uint64_t applied_seq = 0;  // batches applied without a gap
  int64_t first_ms = 0;      // earliest row time seen
  int64_t last_ms = 0;       // time of batch applied_seq
  std::string name;
  int64_t stale_from_ms = 0;  // rows came in before a roll-up watermark: roll up again from here
  // Incarnations of the origin held here: more than one, and the rows may
  // have gaps (a life whose batches went to other replicas).
  uint32_t lives = 1;
  // This node's own state only (store/restorer.h): getting back the rows of
  // its earlier stores, those before life_from_ms (0: the first period's)
  // and from restore_from_ms on.
  bool restoring = false;
  int64_t life_from_ms = 0;
  int64_t restored_first_ms = 0;  // the earliest restored so far
  int64_t restore_from_ms = 0;
};

// What the origin knows of one replica of its rows.
struct ReplicaState {
  uint64_t acked_seq = 0;
  bool copying = false;     // a copy of the older rows is under way
  std::string copy_cursor;  // the last key copied
  uint64_t copy_base = 0;   // the sequence the copy stands for
  int64_t copy_base_ms = 0;  // ... and that batch's time
};

}  // namespace shoal::store
