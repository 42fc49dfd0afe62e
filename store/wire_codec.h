// Where the history store's records (store/records.h) meet their protobuf
// forms (store/history.proto): the messages of the history service, built
// and read at the service's edge (HistoryService, PoolQuery, Replicator,
// Custodian), and the encoded values the store keeps on disk. Nothing else
// in store/ speaks protobuf but the answers' columns (store/series_columns.h).
// Decoding is of untrusted bytes: bounded by the caller, checked here where
// a field can be out of range. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "history.pb.h"
#include "store/records.h"

namespace shoal::store {

// --- service messages ---
wire::Query ToWire(const SeriesQuery& q);
// Errors name an unknown kind or level; the rest is CheckQuery's.
Result<SeriesQuery> FromWire(const wire::Query& q);

// An answer's rows as Rows, or (columns) as SeriesColumns, which take a
// fraction of the bytes and of the time to build and read. The rows are in
// runs of one origin's series, in bucket order, as HistoryStore::Query
// answers (any order encodes; runs make fewer messages).
wire::QueryResult ToWire(QueryAnswer&& a, bool columns = false);
// The same, added to `w` (which may hold series already: a holder's
// series put in columns as it read them, store/series_columns.h).
void AppendToWire(QueryAnswer&& a, bool columns, wire::QueryResult& w);
// Reads either form; series in columns are offered to `take` (if given)
// first. Errors name an unknown level, columns of unequal length, or an
// answer of over kMaxRows rows; then nothing was offered.
Result<QueryAnswer> FromWire(wire::QueryResult&& r, const TakeSeries& take = nullptr);

wire::Holdings ToWire(const std::vector<Holding>& holdings);
std::vector<Holding> FromWire(const wire::Holdings& h);

wire::Delete ToWire(const DeleteRequest& d);
DeleteRequest FromWire(const wire::Delete& d);

wire::Append ToWire(AppendBatches&& a);
AppendBatches FromWire(wire::Append&& a);

wire::Copy ToWire(CopySlice&& c);
CopySlice FromWire(wire::Copy&& c);

// Checks one row from another node: a data key of `origin`, bounded, with a
// value that parses (into *key). Returns what is wrong, or empty.
std::string CheckRow(const RawRow& row, NodeId origin, DataKey* key);

// --- values on disk ---
std::string EncodeFigures(const Figures& f);
std::optional<Figures> DecodeFigures(std::string_view bytes);
// An event's row holds its subject and text; its kind is in the key.
std::string EncodeEvent(const EventRecord& e);
std::optional<EventRecord> DecodeEvent(std::string_view bytes);
std::string EncodeBatch(const LogBatch& b);
std::optional<LogBatch> DecodeBatch(std::string_view bytes);
std::string EncodeHeld(const HeldState& h);
std::optional<HeldState> DecodeHeld(std::string_view bytes);
std::string EncodeReplica(const ReplicaState& r);
std::optional<ReplicaState> DecodeReplica(std::string_view bytes);

}  // namespace shoal::store
