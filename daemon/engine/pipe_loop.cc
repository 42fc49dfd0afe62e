#include "daemon/engine/pipe_loop.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace shoal::engine {
namespace {

const ClassCounters* FindClass(const std::vector<LaneCounters>& all, const PipeLane& lane, const std::string& app) {
  for (const LaneCounters& l : all) {
    if (!(l.lane == lane)) continue;
    for (const ClassCounters& c : l.classes) {
      if (c.app == app) return &c;
    }
  }
  return nullptr;
}

// Counters that went back belong to a class created anew.
uint64_t Since(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

std::string LaneText(const Lane& l) {
  return fmt::format("{} {}", l.id.pipe, l.id.direction == policy::Direction::kIn ? "in" : "out");
}

}  // namespace

PipeLoop::PipeLoop(NodeId self, Clock& clock, const WallClock& wall, std::unique_ptr<PipeEnforcer> enforcer,
                   PipeOptions options)
    : self_(self),
      clock_(clock),
      wall_(wall),
      enforcer_(std::move(enforcer)),
      options_(options),
      figures_(self),
      errors_(std::chrono::seconds(10)) {}

void PipeLoop::SetDocument(const policy::PolicyDocument* doc, const std::string& version_text) {
  state_.clear();
  previous_.clear();
  expected_.clear();
  period_.Clear();
  period_figures_.clear();
  fallback_.reset();
  measured_at_ = TimePoint{};
  period_round_ = 0;
  doc_.reset();
  // The next tick measures before it divides: the terms and figures of the
  // old document index other slots.
  round_ = divided_ = 0;
  if (!enforcer_) return;
  if (doc == nullptr) return HandBackAll();
  doc_ = *doc;
  digest_ = DocumentDigest(version_text);
  if (auto s = enforcer_->SetDocument(*doc); !s.ok()) spdlog::error("pipes: {}", s.error().message);
  for (const Lane& lane : DocumentLanes(*doc)) {
    if (!enforcer_->Carries(lane.id)) {
      spdlog::info("pipes: this node's configuration does not place pipe {}; it takes no part in it",
                   LaneText(lane));
      continue;
    }
    LaneState s;
    s.lane = lane;
    const size_t slots = SlotCount(*doc);
    s.demand.assign(slots, 0);
    s.terms.assign(slots, {});
    s.booking_left.assign(slots, 0);
    s.last.assign(slots, {});
    s.credit.assign(slots, {});
    state_.push_back(std::move(s));
  }
  // No lane of the new document here: nothing of the old one stays shaped.
  if (state_.empty()) HandBackAll();
}

void PipeLoop::HandBackAll() {
  if (auto s = enforcer_->Apply({}); !s.ok()) LogError(s.error());
  if (auto s = enforcer_->SetFallback({}); !s.ok()) LogError(s.error());
}

void PipeLoop::Tick(const std::function<std::vector<policy::EffectivePolicy>()>& effective, bool enforce) {
  if (!doc_ || state_.empty()) return;
  const int64_t interval_ms =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval).count());
  const int64_t divide_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.divide_after).count();
  const int64_t now_ms = wall_.NowMs();
  const auto measure = static_cast<uint64_t>(now_ms / interval_ms);
  const auto divide = static_cast<uint64_t>(std::max<int64_t>(0, now_ms - divide_ms) / interval_ms);
  if (measure != round_) {
    round_ = measure;
    const auto in_force = effective();
    for (LaneState& lane : state_) lane.terms = TermsInForce(lane.lane, *doc_, in_force, options_.interval);
    auto counters = enforcer_->Read();
    if (!counters.ok()) LogError(counters.error());
    Measure(counters.ok() ? *counters : std::vector<LaneCounters>{});
    Estimate();
    PublishOwn();
  }
  if (divide != divided_ && divide <= round_) {
    divided_ = divide;
    std::vector<LaneSetting> settings;
    for (LaneState& lane : state_) settings.push_back(Divide(lane, divide, enforce));
    if (auto s = enforcer_->Apply(settings); !s.ok()) LogError(s.error());
    ApplyFallback(enforce);
  }
}

void PipeLoop::LogError(const Error& e) {
  if (auto held = errors_.Allow(clock_.Now())) spdlog::error("pipes: {} ({} more)", e.message, *held);
}

// What each class did in the round that ended, under the limits it had.
void PipeLoop::Measure(const std::vector<LaneCounters>& counters) {
  // A reading late by more than half a round (a loaded machine: rounds
  // read two at a time) counts as bytes of one round; the ordinary jitter
  // of the ticks is left alone (scaling it made claims noisier and cost
  // the simulator 8% of the pipe at 128 nodes).
  const TimePoint now = clock_.Now();
  const auto us = [](Duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  };
  const uint64_t since = measured_at_ == TimePoint{} || now <= measured_at_ ? 0 : us(now - measured_at_);
  const uint64_t elapsed = since * 2 > us(options_.interval) * 3 ? since : 0;
  measured_at_ = now;
  auto per_round = [&](uint64_t bytes) {
    return elapsed == 0 ? bytes : bwman::MulDiv(bytes, us(options_.interval), elapsed);
  };
  for (LaneState& lane : state_) {
    for (size_t slot = 0; slot < lane.last.size(); ++slot) {
      Previous& prev = previous_[{lane.lane.index, slot}];
      const ClassCounters* read = FindClass(counters, lane.lane.id, SlotName(*doc_, slot));
      bwman::ClassInterval c;
      if (read != nullptr) {
        c.sent = per_round(Since(read->bytes, prev.counters.bytes));
        c.packets = per_round(Since(read->packets, prev.counters.packets));
        c.dropped = Since(read->drops, prev.counters.drops);
        c.backlog = read->backlog_bytes;
        c.backlog_before = prev.counters.backlog_bytes;
        prev.counters = *read;
      }
      c.limit = prev.limit;
      c.sent_before = lane.last[slot].sent;
      lane.last[slot] = c;
    }
  }
}

void PipeLoop::Estimate() {
  for (LaneState& lane : state_) {
    for (size_t slot = 0; slot < lane.last.size(); ++slot) {
      lane.demand[slot] = bwman::Coarsen(
          bwman::EstimateDemand(lane.last[slot], lane.booking_left[slot], lane.unqueued, options_.demand));
    }
  }
}

void PipeLoop::PublishOwn() {
  PipeDemand d;
  d.round = round_;
  d.document = digest_;
  for (const LaneState& lane : state_) {
    const auto& [used, allocated] = period_figures_[lane.lane.index];
    d.lanes.push_back(LaneDemand{lane.lane.index, lane.demand, used, allocated, lane.fallback});
  }
  std::sort(d.lanes.begin(), d.lanes.end(), [](const LaneDemand& a, const LaneDemand& b) { return a.lane < b.lane; });
  // The static share and the last period's figures go out about once a
  // second (with the refresh); the claims whenever they change.
  const bool refresh = round_ - period_round_ >= static_cast<uint64_t>(options_.refresh_rounds);
  d.period = true;
  figures_.Keep(d);
  d.period = refresh;
  PipeDemand unchanged = published_;
  unchanged.round = round_;
  unchanged.period = refresh;
  if (!refresh && SameClaims(d, unchanged)) return;
  if (refresh) period_round_ = round_;
  auto bytes = EncodePipeDemand(d);
  if (!bytes.ok()) return LogError(bytes.error());
  pending_ = std::move(*bytes);
  published_ = std::move(d);
  published_round_ = round_;
}

bool PipeLoop::SameClaims(const PipeDemand& a, const PipeDemand& b) {
  return std::equal(a.lanes.begin(), a.lanes.end(), b.lanes.begin(), b.lanes.end(),
                    [](const LaneDemand& x, const LaneDemand& y) {
                      return LaneDemand{x.lane, x.bytes, {}, {}, 0} == LaneDemand{y.lane, y.bytes, {}, {}, 0};
                    });
}

void PipeLoop::Remember(LaneState& lane, size_t participants) {
  auto& [most, at] = expected_[lane.lane.index];
  const TimePoint now = clock_.Now();
  if (participants >= most || now - at > options_.view_memory) {
    most = participants;
    at = now;
  }
  lane.participants = participants;
  lane.expected = std::max<size_t>(most, 1);
}

LaneSetting PipeLoop::Divide(LaneState& lane, uint64_t round, bool enforce) {
  lane.round = round;
  const uint64_t oldest = round >= static_cast<uint64_t>(options_.stale_rounds) ? round - options_.stale_rounds : 0;
  bwman::RoundInput in;
  in.immediate_share = lane.lane.immediate_share;
  in.apps = lane.terms;
  size_t self = SIZE_MAX;
  for (const auto& [node, figure] : figures_.Choose(digest_, oldest, round)) {
    const LaneDemand* row = figure->Find(lane.lane.index);
    if (row == nullptr) continue;  // it does not carry this lane
    if (node == self_) self = in.demand.size();
    in.demand.push_back(row->bytes);
  }
  Remember(lane, in.demand.size() + (self == SIZE_MAX ? 1 : 0));
  const uint64_t capacity = PerInterval(lane.lane.capacity, options_.interval);
  // Failed carriers' classes may still send their static share: kept
  // aside. The rest is for the nodes in view, in proportion to those seen
  // lately whose share is not known (all of it when every carrier seen
  // lately is in view or failed with a known share).
  const auto [reserved, known] = figures_.Reserved(lane.lane.index, digest_, failed_);
  lane.reserved = std::min(capacity, reserved);
  const size_t unknown = lane.expected - std::min(lane.expected, lane.participants + known);
  uint64_t share = bwman::MulDiv(capacity - lane.reserved, lane.participants, lane.participants + unknown);
  lane.own_figures = self != SIZE_MAX;
  if (!lane.own_figures) {
    // No figures of its own yet: an equal share, divided among its own.
    share = (capacity - lane.reserved) / lane.expected;
    in.demand = {lane.demand};
    self = 0;
  }
  in.interval_bytes = share;
  const bwman::Round r = bwman::DivideRound(in);
  // Every node may send a frame per round whatever its credit, so that a
  // class that starts sending shows it is held (the division's allowance:
  // at most one frame per participant beyond the capacity).
  lane.node_credit = std::max(r.nodes.credits[self].total(), options_.demand.floor);
  lane.unqueued = r.nodes.unqueued;
  for (size_t slot = 0; slot < lane.booking_left.size(); ++slot) {
    uint64_t queued = 0;
    for (const auto& row : r.queued) queued += row[slot].booked;
    lane.booking_left[slot] = lane.terms[slot].booked - std::min(lane.terms[slot].booked, queued);
  }
  lane.credit = r.AppCredits(self);
  if (spdlog::should_log(spdlog::level::trace)) TraceRound(lane, in);
  SetFallback(lane, r, self);
  AddToPeriod(lane);
  return Setting(lane, enforce);
}

// Its part of the bookings and an equal part of what the bookings (and
// the failed carriers) leave, rounded down: the nodes' static shares add
// up to at most the capacity.
void PipeLoop::SetFallback(LaneState& lane, const bwman::Round& r, size_t self) {
  const uint64_t capacity = PerInterval(lane.lane.capacity, options_.interval);
  uint64_t booked = 0;
  for (const bwman::Credit& c : r.nodes.credits) booked += c.booked;
  const uint64_t rest = capacity - std::min(capacity, booked + lane.reserved);
  lane.fallback = bwman::CoarsenDown(r.nodes.credits[self].booked + rest / lane.expected, 5);
}

void PipeLoop::ApplyFallback(bool enforce) {
  std::vector<LaneSetting> settings;
  for (const LaneState& lane : state_) {
    if (!enforce) break;  // counting classes stay counting
    LaneSetting s{lane.lane.id, std::max<uint64_t>(1, PerSecond(lane.fallback, options_.interval)), {}};
    for (size_t slot = 0; slot < lane.credit.size(); ++slot) {
      const uint64_t booked = std::max<uint64_t>(1, PerSecond(lane.credit[slot].booked, options_.interval));
      s.classes.push_back({SlotName(*doc_, slot), std::min(booked, s.node_ceil), s.node_ceil});
    }
    settings.push_back(std::move(s));
  }
  if (fallback_ == settings) return;
  if (auto s = enforcer_->SetFallback(settings); !s.ok()) return LogError(s.error());
  fallback_ = std::move(settings);
}

void PipeLoop::AddToPeriod(const LaneState& lane) {
  std::vector<uint64_t> sent, booked, allocated;
  for (size_t slot = 0; slot < lane.credit.size(); ++slot) {
    sent.push_back(lane.last[slot].sent);
    booked.push_back(lane.credit[slot].booked);  // its part of the booking
    allocated.push_back(lane.credit[slot].total());
  }
  period_.Add(LaneRound{lane.lane, lane.node_credit, sent, lane.demand, booked, allocated});
}

std::vector<store::SeriesSample> PipeLoop::TakePeriod() {
  std::vector<LanePeriod> period = period_.Take(options_.interval);
  if (!doc_) return {};
  period_figures_.clear();
  for (const LanePeriod& l : period) {
    auto& [used, allocated] = period_figures_[l.lane.index];
    for (const SlotPeriod& s : l.slots) {
      // Rounded (up, to 8 significant bits: at most 0.4%) so that a steady
      // lane's figures stay put between refreshes.
      used.push_back(bwman::Coarsen(s.used, 8));
      allocated.push_back(bwman::Coarsen(s.allocated, 8));
    }
  }
  return PeriodSeries(period, *doc_);
}

LaneSetting PipeLoop::Setting(const LaneState& lane, bool enforce) {
  LaneSetting s;
  s.lane = lane.lane.id;
  if (enforce) s.node_ceil = std::max<uint64_t>(1, PerSecond(lane.node_credit, options_.interval));
  for (size_t slot = 0; slot < lane.credit.size(); ++slot) {
    ClassLimit c;
    c.app = SlotName(*doc_, slot);
    c.first = lane.terms[slot].booked > 0;
    // A capped application borrows nothing beyond its part.
    const uint64_t ceil_bytes = lane.terms[slot].cap == bwman::kNoCap
                                    ? lane.node_credit
                                    : std::max(lane.credit[slot].total(), options_.demand.floor);
    if (enforce) {
      c.rate = std::max<uint64_t>(1, PerSecond(lane.credit[slot].total(), options_.interval));
      c.ceil = std::max(c.rate, PerSecond(ceil_bytes, options_.interval));
    }
    previous_[{lane.lane.index, slot}].limit = enforce ? ceil_bytes : 0;
    s.classes.push_back(std::move(c));
  }
  return s;
}

// One round as this node divided it (--log-level trace), in kB: every
// carrier's claims by slot, then what each of this node's classes did in
// the last round (sent, queue at its start and end, drops, limit) and
// its credit now.
void PipeLoop::TraceRound(const LaneState& lane, const bwman::RoundInput& in) const {
  std::string text;
  for (const auto& row : in.demand) {
    text += "[";
    for (uint64_t b : row) text += fmt::format(" {}", b / 1000);
    text += " ]";
  }
  for (size_t slot = 0; slot < lane.last.size(); ++slot) {
    const bwman::ClassInterval& c = lane.last[slot];
    text += fmt::format("; {}: sent {} queue {}->{} drops {} limit {} credit {}", SlotName(*doc_, slot),
                        c.sent / 1000, c.backlog_before / 1000, c.backlog / 1000, c.dropped, c.limit / 1000,
                        lane.credit[slot].total() / 1000);
  }
  spdlog::trace("pipes: round {} lane {}: claims {}; node credit {}, unclaimed {}", lane.round, lane.lane.index, text,
                lane.node_credit / 1000, lane.unqueued / 1000);
}

void PipeLoop::SetPorts(const std::vector<LocalInstance>& local) {
  if (!enforcer_) return;
  std::vector<AppPorts> ports;
  for (const LocalInstance& i : local) {
    if (!i.ports.empty()) ports.push_back({i.app, i.ports});
  }
  std::sort(ports.begin(), ports.end(), [](const AppPorts& a, const AppPorts& b) { return a.app < b.app; });
  if (ports == ports_) return;
  ports_ = std::move(ports);
  if (auto s = enforcer_->SetPorts(ports_); !s.ok()) LogError(s.error());
}

void PipeLoop::Release() {
  if (!enforcer_) return;
  if (auto s = enforcer_->Release(); !s.ok()) spdlog::error("pipes: {}", s.error().message);
}

}  // namespace shoal::engine
