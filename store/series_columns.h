// A history answer's series in columns (store/history.proto's
// SeriesColumns): one message per origin's series, a packed column per
// figure and the bucket times as differences, which take a fraction of the
// bytes and of the time of one Row per bucket. Built by a holder as it
// reads (AppendColumns) or from rows, read back by the asker with every
// column's length checked first. Thread-safe.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "history.pb.h"
#include "store/records.h"

namespace shoal::store {

// One origin's series, in bucket order, as a message added to `out`.
void AppendColumns(NodeId origin, const std::string& name, std::span<const SeriesBucket> buckets,
                   google::protobuf::RepeatedPtrField<wire::SeriesColumns>* out);
// Rows in runs of one origin's series, in bucket order, to one message per
// run (any order encodes; runs make fewer messages).
void SeriesToColumns(const std::vector<SeriesRow>& rows,
                     google::protobuf::RepeatedPtrField<wire::SeriesColumns>* out);
// The answer's series: each offered to `take` (if given), into `rows` if
// not taken. Every message is checked before any is offered; returns what
// is wrong (a column of another length, naming the series and origin, or
// more than kMaxRows rows), else empty.
std::string SeriesFromColumns(const wire::QueryResult& w, const TakeSeries& take, std::vector<SeriesRow>& rows);

}  // namespace shoal::store
