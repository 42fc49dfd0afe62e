#include "tools/ctl/export_cmd.h"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/pqxx>

#include "tools/ctl/history_cmd.h"

namespace shoal::ctl {
namespace control = daemon::control;

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The columns of a point, in the order of the CSV and the table.
std::vector<std::string> PointFields(const control::HistoryPoint& p, const char* kind, int64_t step_ms) {
  return {FormatTime(p.time_ms()) + "+00",
          std::to_string(step_ms / 1000),
          kind,
          p.series(),
          p.node(),
          fmt::format("{:.3f}", p.usage_m()),
          fmt::format("{:.3f}", p.usage_peak_m()),
          fmt::format("{:.3f}", p.demand_m()),
          fmt::format("{:.3f}", p.demand_peak_m()),
          fmt::format("{:.3f}", p.booking_m()),
          fmt::format("{:.3f}", p.allocation_m()),
          fmt::format("{:.3f}", p.capacity_m()),
          fmt::format("{:.0f}", p.rss_kb()),
          fmt::format("{:.4f}", p.squeezed()),
          fmt::format("{:.4f}", p.idle()),
          std::to_string(p.samples())};
}

constexpr std::array<const char*, 16> kPointColumns = {
    "time", "step_s", "kind", "series", "node", "usage_m", "usage_peak_m", "demand_m", "demand_peak_m",
    "booking_m", "allocation_m", "capacity_m", "rss_kb", "squeezed", "idle", "samples"};

std::vector<std::string> EventFields(const control::HistoryEvent& e) {
  return {fmt::format("{}.{:03}+00", FormatTime(e.time_ms()), e.time_ms() % 1000), e.node(), e.kind(), e.subject(),
          e.text()};
}

constexpr std::array<const char*, 5> kEventColumns = {"time", "node", "kind", "subject", "text"};

template <typename Columns>
std::string CsvLine(const Columns& fields) {
  std::string line;
  for (const auto& f : fields) {
    if (!line.empty()) line += ',';
    line += CsvField(f);
  }
  return line + "\n";
}

}  // namespace

std::string HistoryCsv(const control::HistoryAnswer& apps, const control::HistoryAnswer& nodes) {
  std::string out = CsvLine(std::vector<std::string>(kPointColumns.begin(), kPointColumns.end()));
  for (const auto& p : apps.points()) out += CsvLine(PointFields(p, "app", apps.step_ms()));
  for (const auto& p : nodes.points()) out += CsvLine(PointFields(p, "node", nodes.step_ms()));
  return out;
}

std::string EventsCsv(const control::HistoryAnswer& events) {
  std::string out = CsvLine(std::vector<std::string>(kEventColumns.begin(), kEventColumns.end()));
  for (const auto& e : events.events()) out += CsvLine(EventFields(e));
  return out;
}

Result<Loaded> LoadPostgres(const std::string& conninfo, const control::HistoryAnswer& apps,
                            const control::HistoryAnswer& nodes, const control::HistoryAnswer& events) {
  Loaded loaded;
  try {
    pqxx::connection db(conninfo);
    pqxx::work tx(db, "shoal export");
    tx.exec(R"(CREATE TABLE IF NOT EXISTS shoal_history (
        time timestamptz NOT NULL, step_s integer NOT NULL, kind text NOT NULL, series text NOT NULL,
        node text NOT NULL, usage_m double precision, usage_peak_m double precision, demand_m double precision,
        demand_peak_m double precision, booking_m double precision, allocation_m double precision,
        capacity_m double precision, rss_kb double precision, squeezed double precision, idle double precision,
        samples integer, PRIMARY KEY (time, step_s, kind, series, node)))");
    tx.exec(R"(CREATE TABLE IF NOT EXISTS shoal_events (
        time timestamptz NOT NULL, node text NOT NULL, kind text NOT NULL, subject text NOT NULL, text text NOT NULL,
        PRIMARY KEY (time, node, kind, subject, text)))");
    // A thousand rows per statement; rows of a period loaded before are
    // replaced, not doubled.
    std::string updates;
    for (size_t i = 5; i < kPointColumns.size(); ++i) {
      updates += fmt::format("{}{} = EXCLUDED.{}", updates.empty() ? "" : ", ", kPointColumns[i], kPointColumns[i]);
    }
    auto insert = [&](const std::string& head, const std::string& tail, const std::vector<std::vector<std::string>>& rows) {
      size_t affected = 0;
      for (size_t at = 0; at < rows.size(); at += 1000) {
        std::string sql = head;
        for (size_t r = at; r < std::min(rows.size(), at + 1000); ++r) {
          sql += r == at ? "(" : ",(";
          for (size_t f = 0; f < rows[r].size(); ++f) sql += (f ? "," : "") + tx.quote(rows[r][f]);
          sql += ")";
        }
        affected += tx.exec(sql + tail).affected_rows();
      }
      return affected;
    };
    std::vector<std::vector<std::string>> points, event_rows;
    for (const auto& p : apps.points()) points.push_back(PointFields(p, "app", apps.step_ms()));
    for (const auto& p : nodes.points()) points.push_back(PointFields(p, "node", nodes.step_ms()));
    for (const auto& e : events.events()) event_rows.push_back(EventFields(e));
    loaded.points = insert(fmt::format("INSERT INTO shoal_history ({}) VALUES ", fmt::join(kPointColumns, ", ")),
                           " ON CONFLICT (time, step_s, kind, series, node) DO UPDATE SET " + updates, points);
    loaded.events = insert(fmt::format("INSERT INTO shoal_events ({}) VALUES ", fmt::join(kEventColumns, ", ")),
                           " ON CONFLICT DO NOTHING", event_rows);
    tx.commit();
  } catch (const std::exception& e) {
    return MakeError("PostgreSQL export: {}", e.what());
  }
  return loaded;
}

}  // namespace shoal::ctl
