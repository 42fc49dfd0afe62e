// shoalctl report: a utilization summary over a period from the daemon's
// history answers. The pool and each node: capacity, use, peak, and how
// their buckets spread over utilization; each application: use, peak,
// demand, booking, allocation, headroom, burst headroom (the idle pool
// capacity it could have borrowed), and the buckets it was squeezed or idle
// in, by the recorded samples' rule or by the operator's thresholds; each
// pipe and direction. Figures first (UtilizationReport), then text or JSON.
// Pure functions of the answers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "control.pb.h"
#include "tools/ctl/history_format.h"

namespace shoal::ctl {

struct ReportThresholds {
  // A bucket is squeezed when the application's demand was over its
  // allocation by more than this fraction. Unset: the samples' own rule
  // (core/squeeze.h), counted as a share of samples.
  std::optional<double> squeezed_above;
  // A bucket is idle when the application used less than this fraction of
  // its booking (of its allocation without one). Unset: the samples' rule.
  std::optional<double> idle_below;
};

// A series with a capacity (the pool, a node); millicores, averages over
// its buckets.
struct CapacityUse {
  std::string name;
  size_t buckets = 0;
  double capacity = 0, used = 0, peak = 0;
  double peak_capacity = 0;  // in the peak bucket
  int64_t peak_at = 0;  // 0: nothing used
  Tenths utilization{}; // buckets by used / capacity
};

struct AppUse {
  std::string name;
  size_t buckets = 0;
  double used = 0, peak = 0, demand = 0, booked = 0, allocated = 0;
  int64_t peak_at = 0;
  double headroom = 0;       // its average allocation less its peak
  double burst = 0;          // the pool's idle capacity, on average over its buckets
  double burst_at_peak = 0;  // ... in its peak bucket
  double squeezed = 0, idle = 0;  // shares of buckets (thresholds) or of samples
  std::vector<TimeSpan> squeezed_spans, idle_spans;
  Tenths of_allocation{};  // buckets by used / allocated
};

struct UtilizationReport {
  std::string header;  // AnswerHeader of the pool's answer
  ReportThresholds thresholds;
  CapacityUse pool;
  std::vector<CapacityUse> nodes;  // by name
  std::vector<AppUse> apps;        // by name
};

// `pool`: the nodes summed (history pool); `nodes`: per node (history node);
// `apps`: every application summed over the pool (history app).
UtilizationReport BuildReport(const daemon::control::HistoryAnswer& pool, const daemon::control::HistoryAnswer& nodes,
                              const daemon::control::HistoryAnswer& apps, const ReportThresholds& thresholds);
std::string ReportText(const UtilizationReport& r);
// The figures as JSON, in millicores, times in ms and RFC 3339.
std::string ReportJson(const UtilizationReport& r, const std::string& pipes_json);

// `pipes`: every pipe series (PIPE/DIR and PIPE/DIR/APP) summed over the pool.
std::string PipeReportText(const daemon::control::HistoryAnswer& pipes);

}  // namespace shoal::ctl
