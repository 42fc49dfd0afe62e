// shoalctl history export: history points (each application on each node,
// each node's own figures) and events over a period, written as CSV or
// loaded into a PostgreSQL database (tables shoal_history and shoal_events,
// created if missing; loading the same period again replaces its rows, so
// an export can be rerun).
#pragma once

#include <string>

#include "control.pb.h"
#include "core/result.h"

namespace shoal::ctl {

// One CSV line per point, after a header; fields with commas, quotes or
// line breaks are quoted. `apps`: per node application points; `nodes`:
// per node figures.
std::string HistoryCsv(const daemon::control::HistoryAnswer& apps, const daemon::control::HistoryAnswer& nodes);
std::string EventsCsv(const daemon::control::HistoryAnswer& events);

struct Loaded {
  size_t points = 0;
  size_t events = 0;
};

// Loads into the database at `conninfo` (libpq form: "host=... dbname=...
// user=..." or a postgresql:// URI) in one transaction. Errors name what
// failed.
Result<Loaded> LoadPostgres(const std::string& conninfo, const daemon::control::HistoryAnswer& apps,
                            const daemon::control::HistoryAnswer& nodes,
                            const daemon::control::HistoryAnswer& events);

}  // namespace shoal::ctl
