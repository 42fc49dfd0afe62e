#include "daemon/engine/pipe_report.h"

#include <limits>

#include "daemon/engine/pipe_demand.h"

namespace shoal::engine {
namespace {

uint64_t At(const std::vector<uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

// One node's row of a lane, per slot.
std::vector<PipeFiguresRow> SlotRows(const LaneDemand& d, size_t slots, Duration interval) {
  std::vector<PipeFiguresRow> rows(slots);
  for (size_t slot = 0; slot < slots; ++slot) {
    rows[slot] = {At(d.used, slot), PerSecond(At(d.bytes, slot), interval), At(d.allocated, slot)};
  }
  return rows;
}

PipeLaneReport LaneOf(const Lane& lane, const PipeReportInput& in) {
  PipeLaneReport r{lane.id, lane.capacity, {}, {}, {}};
  // Terms per second: the round's arithmetic with a one-second round.
  const auto terms = TermsInForce(lane, in.doc, in.effective, std::chrono::seconds(1));
  for (size_t slot = 0; slot < terms.size(); ++slot) {
    const uint64_t cap = terms[slot].cap == bwman::kNoCap ? 0 : terms[slot].cap;
    r.apps.push_back({SlotName(in.doc, slot), terms[slot].booked, cap, {}, 0});
  }
  const uint64_t document = DocumentDigest(in.version_text);
  const auto newest = in.figures.Choose(document, 0, std::numeric_limits<uint64_t>::max());
  for (const auto& [node, figure] : newest) {
    const LaneDemand* d = figure->Find(lane.index);
    if (d == nullptr) continue;  // it does not carry this lane
    PipeNodeReport n{node, {}, PerSecond(d->fallback, in.interval), false};
    const auto rows = SlotRows(*d, r.apps.size(), in.interval);
    for (size_t slot = 0; slot < rows.size(); ++slot) {
      n.figures.Add(rows[slot]);
      r.apps[slot].figures.Add(rows[slot]);
      if (rows[slot].used + rows[slot].demand + rows[slot].allocated > 0) ++r.apps[slot].nodes;
    }
    r.figures.Add(n.figures);
    r.nodes.push_back(n);
  }
  for (const auto& [node, fallback] : in.figures.Gone(lane.index, document)) {
    if (fallback == 0 || !in.failed || !in.failed(node)) continue;
    r.nodes.push_back({node, {}, PerSecond(fallback, in.interval), true});
    r.reserved += r.nodes.back().fallback;
  }
  return r;
}

}  // namespace

std::vector<PipeLaneReport> ReportPipes(const PipeReportInput& in) {
  std::vector<PipeLaneReport> out;
  for (const Lane& lane : DocumentLanes(in.doc)) out.push_back(LaneOf(lane, in));
  return out;
}

}  // namespace shoal::engine
