#include "store/wire_codec.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "store/series_columns.h"

namespace shoal::store {
namespace {

template <typename Message>
std::optional<Message> Parse(std::string_view bytes) {
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return m;
}

std::optional<Level> LevelOf(uint32_t level) {
  if (level >= kLevels) return std::nullopt;
  return static_cast<Level>(level);
}

void ToWire(const Figures& f, wire::Figures* w) {
  w->set_samples(f.samples);
  w->set_usage_sum(f.usage_sum);
  w->set_usage_peak(f.usage_peak);
  w->set_demand_sum(f.demand_sum);
  w->set_demand_peak(f.demand_peak);
  w->set_booking_sum(f.booking_sum);
  w->set_allocation_sum(f.allocation_sum);
  w->set_capacity_sum(f.capacity_sum);
  w->set_rss_kb_sum(f.rss_kb_sum);
  w->set_processes_sum(f.processes_sum);
  w->set_squeezed(f.squeezed);
  w->set_idle(f.idle);
}

Figures FromWire(const wire::Figures& w) {
  return Figures{.samples = w.samples(),
                 .usage_sum = w.usage_sum(),
                 .usage_peak = w.usage_peak(),
                 .demand_sum = w.demand_sum(),
                 .demand_peak = w.demand_peak(),
                 .booking_sum = w.booking_sum(),
                 .allocation_sum = w.allocation_sum(),
                 .capacity_sum = w.capacity_sum(),
                 .rss_kb_sum = w.rss_kb_sum(),
                 .processes_sum = w.processes_sum(),
                 .squeezed = w.squeezed(),
                 .idle = w.idle()};
}

template <typename Rows>
void RowsToWire(std::vector<RawRow>&& rows, Rows* out) {
  out->Reserve(static_cast<int>(rows.size()));
  for (RawRow& r : rows) {
    auto* kv = out->Add();
    kv->set_key(std::move(r.key));
    kv->set_value(std::move(r.value));
  }
}

template <typename Rows>
std::vector<RawRow> RowsFromWire(Rows&& rows) {
  std::vector<RawRow> out;
  out.reserve(rows.size());
  for (auto& kv : rows) out.push_back({std::move(*kv.mutable_key()), std::move(*kv.mutable_value())});
  return out;
}

void ToWire(LogBatch&& b, wire::Batch* w) {
  w->set_seq(b.seq);
  w->set_time_ms(b.time_ms);
  RowsToWire(std::move(b.rows), w->mutable_rows());
}

LogBatch FromWire(wire::Batch&& w) {
  return LogBatch{w.seq(), w.time_ms(), RowsFromWire(std::move(*w.mutable_rows()))};
}

}  // namespace

wire::Query ToWire(const SeriesQuery& q) {
  wire::Query w;
  w.set_kind(static_cast<uint32_t>(q.kind));
  w.set_name(q.name);
  w.set_name_prefix(q.name_prefix);
  for (NodeId o : q.origins) w.add_origins(o.value);
  w.set_from_ms(q.from_ms);
  w.set_to_ms(q.to_ms);
  w.set_step_ms(q.step_ms);
  w.set_level(static_cast<uint32_t>(q.level));
  w.set_archive(q.archive);
  return w;
}

Result<SeriesQuery> FromWire(const wire::Query& w) {
  const auto kind = w.kind() <= 0xff ? ParseKind(static_cast<uint8_t>(w.kind())) : std::nullopt;
  if (!kind) return MakeError("history query: unknown series kind {}", w.kind());
  const auto level = LevelOf(w.level());
  if (!level) return MakeError("history query: unknown level {}", w.level());
  SeriesQuery q{.kind = *kind,
                .name = w.name(),
                .name_prefix = w.name_prefix(),
                .origins = {},
                .from_ms = w.from_ms(),
                .to_ms = w.to_ms(),
                .step_ms = w.step_ms(),
                .level = *level,
                .archive = w.archive()};
  q.origins.reserve(w.origins_size());
  for (uint64_t o : w.origins()) q.origins.push_back(NodeId{o});
  return q;
}

wire::QueryResult ToWire(QueryAnswer&& a, bool columns) {
  wire::QueryResult w;
  AppendToWire(std::move(a), columns, w);
  return w;
}

void AppendToWire(QueryAnswer&& a, bool columns, wire::QueryResult& w) {
  w.set_level(static_cast<uint32_t>(a.level));
  if (columns) {
    SeriesToColumns(a.rows, w.mutable_series());
  } else {
    w.mutable_rows()->Reserve(static_cast<int>(a.rows.size()));
    for (SeriesRow& r : a.rows) {
      auto* row = w.add_rows();
      row->set_origin(r.origin.value);
      row->set_name(std::move(r.name));
      row->set_bucket_ms(r.bucket_ms);
      ToWire(r.figures, row->mutable_figures());
    }
  }
  for (EventRow& e : a.events) {
    auto* ev = w.add_events();
    ev->set_origin(e.origin.value);
    ev->set_time_ms(e.time_ms);
    ev->set_kind(std::move(e.event.kind));
    ev->mutable_event()->set_subject(std::move(e.event.subject));
    ev->mutable_event()->set_text(std::move(e.event.text));
  }
}

Result<QueryAnswer> FromWire(wire::QueryResult&& w, const TakeSeries& take) {
  const auto level = LevelOf(w.level());
  if (!level) return MakeError("history answer: unknown level {}", w.level());
  QueryAnswer a;
  a.level = *level;
  a.rows.reserve(w.rows_size());
  for (auto& r : *w.mutable_rows()) {
    a.rows.push_back({NodeId{r.origin()}, std::move(*r.mutable_name()), r.bucket_ms(), FromWire(r.figures())});
  }
  if (auto bad = SeriesFromColumns(w, take, a.rows); !bad.empty()) return MakeError("history answer: {}", bad);
  a.events.reserve(w.events_size());
  for (auto& e : *w.mutable_events()) {
    a.events.push_back({NodeId{e.origin()}, e.time_ms(),
                        EventRecord{std::move(*e.mutable_kind()), std::move(*e.mutable_event()->mutable_subject()),
                                    std::move(*e.mutable_event()->mutable_text())}});
  }
  return a;
}

wire::Holdings ToWire(const std::vector<Holding>& holdings) {
  wire::Holdings w;
  for (const Holding& h : holdings) {
    auto* o = w.add_origins();
    o->set_origin(h.origin.value);
    o->set_name(h.name);
    o->set_first_ms(h.first_ms);
    o->set_last_ms(h.last_ms);
    o->set_archive(h.archive);
    o->set_incarnation(h.incarnation);
    o->set_lives(h.lives);
  }
  return w;
}

std::vector<Holding> FromWire(const wire::Holdings& w) {
  std::vector<Holding> out;
  out.reserve(w.origins_size());
  for (const auto& o : w.origins()) {
    out.push_back({NodeId{o.origin()}, o.name(), o.first_ms(), o.last_ms(), o.archive(), o.incarnation(),
                   std::max(1u, o.lives())});
  }
  return out;
}

wire::Delete ToWire(const DeleteRequest& d) {
  wire::Delete w;
  w.set_origin(d.origin.value);
  w.set_app(d.app);
  w.set_before_ms(d.before_ms);
  w.set_by(d.by);
  return w;
}

DeleteRequest FromWire(const wire::Delete& w) { return {NodeId{w.origin()}, w.app(), w.before_ms(), w.by()}; }

wire::Append ToWire(AppendBatches&& a) {
  wire::Append w;
  w.set_origin(a.origin.value);
  w.set_origin_name(std::move(a.origin_name));
  w.set_incarnation(a.incarnation);
  for (LogBatch& b : a.batches) ToWire(std::move(b), w.add_batches());
  return w;
}

AppendBatches FromWire(wire::Append&& w) {
  AppendBatches a{NodeId{w.origin()}, std::move(*w.mutable_origin_name()), w.incarnation(), {}};
  a.batches.reserve(w.batches_size());
  for (auto& b : *w.mutable_batches()) a.batches.push_back(FromWire(std::move(b)));
  return a;
}

wire::Copy ToWire(CopySlice&& c) {
  wire::Copy w;
  w.set_origin(c.origin.value);
  w.set_origin_name(std::move(c.origin_name));
  w.set_incarnation(c.incarnation);
  RowsToWire(std::move(c.rows), w.mutable_rows());
  w.set_last(c.last);
  w.set_through_seq(c.through_seq);
  w.set_through_ms(c.through_ms);
  w.set_scanned_to(std::move(c.scanned_to));
  return w;
}

CopySlice FromWire(wire::Copy&& w) {
  return CopySlice{NodeId{w.origin()}, std::move(*w.mutable_origin_name()), w.incarnation(),
                   RowsFromWire(std::move(*w.mutable_rows())), w.last(), w.through_seq(), w.through_ms(),
                   std::move(*w.mutable_scanned_to())};
}

std::string EncodeFigures(const Figures& f) {
  wire::Figures w;
  ToWire(f, &w);
  return w.SerializeAsString();
}

namespace {

// A protobuf varint of at most `max_bytes` bytes (bits past 64 dropped, as
// protobuf does); false when it runs past the end or is longer.
bool ReadVarint(std::string_view& in, uint64_t& v, size_t max_bytes = 10) {
  v = 0;
  for (size_t i = 0; i < max_bytes && i < in.size(); ++i) {
    const auto b = static_cast<uint8_t>(in[i]);
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// One varint field of wire::Figures; uint32 fields truncate, as protobuf's.
void SetFigure(Figures& f, uint64_t field, uint64_t v) {
  const auto v32 = static_cast<uint32_t>(v);
  switch (field) {
    case 1: f.samples = v32; break;
    case 2: f.usage_sum = v; break;
    case 3: f.usage_peak = v32; break;
    case 4: f.demand_sum = v; break;
    case 5: f.demand_peak = v32; break;
    case 6: f.booking_sum = v; break;
    case 7: f.allocation_sum = v; break;
    case 8: f.capacity_sum = v; break;
    case 9: f.rss_kb_sum = v; break;
    case 10: f.processes_sum = v; break;
    case 11: f.squeezed = v32; break;
    case 12: f.idle = v32; break;
    default: break;  // a later version's field
  }
}

}  // namespace

// wire::Figures read by hand: a scan of a day's minute rows spent a
// fifth of its time in protobuf's parse of them. Anything it takes,
// protobuf takes the same (fuzz_history checks); it refuses groups,
// which no version writes.
std::optional<Figures> DecodeFigures(std::string_view in) {
  Figures f;
  while (!in.empty()) {
    uint64_t tag = 0, v = 0;
    if (!ReadVarint(in, tag, 5) || tag > UINT32_MAX || (tag >> 3) == 0) return std::nullopt;
    switch (tag & 7) {
      case 0:  // varint
        if (!ReadVarint(in, v)) return std::nullopt;
        SetFigure(f, tag >> 3, v);
        break;
      case 1:  // 64-bit
        if (in.size() < 8) return std::nullopt;
        in.remove_prefix(8);
        break;
      case 2:  // length-delimited
        if (!ReadVarint(in, v, 5) || v > INT32_MAX || v > in.size()) return std::nullopt;
        in.remove_prefix(v);
        break;
      case 5:  // 32-bit
        if (in.size() < 4) return std::nullopt;
        in.remove_prefix(4);
        break;
      default:
        return std::nullopt;
    }
  }
  return f;
}

std::string EncodeEvent(const EventRecord& e) {
  wire::Event w;
  w.set_subject(e.subject);
  w.set_text(e.text);
  return w.SerializeAsString();
}

std::optional<EventRecord> DecodeEvent(std::string_view bytes) {
  auto w = Parse<wire::Event>(bytes);
  if (!w) return std::nullopt;
  return EventRecord{"", std::move(*w->mutable_subject()), std::move(*w->mutable_text())};
}

std::string EncodeBatch(const LogBatch& b) {
  wire::Batch w;
  ToWire(LogBatch(b), &w);
  return w.SerializeAsString();
}

std::optional<LogBatch> DecodeBatch(std::string_view bytes) {
  auto w = Parse<wire::Batch>(bytes);
  if (!w) return std::nullopt;
  return FromWire(std::move(*w));
}

namespace {

// Bounds on rows arriving from other nodes.
constexpr size_t kMaxKeyBytes = 11 + kMaxNameBytes + 1 + 16;
constexpr size_t kMaxValueBytes = 4096;

}  // namespace

std::string CheckRow(const RawRow& row, NodeId origin, DataKey* out) {
  if (row.key.size() > kMaxKeyBytes) return fmt::format("a key of {} bytes", row.key.size());
  if (row.value.size() > kMaxValueBytes) return fmt::format("a value of {} bytes", row.value.size());
  auto key = DecodeKey(row.key);
  if (!key) return "a key that is not a history key";
  if (key->level == Level::kFiveMinutes) return "a five-minute row (each holder rolls up its own)";
  if (key->origin != origin) return fmt::format("a row of another origin ({})", key->origin.ToString());
  const bool parses = key->kind == SeriesKind::kEvent ? DecodeEvent(row.value).has_value()
                                                      : DecodeFigures(row.value).has_value();
  if (!parses) return fmt::format("a {} row whose value does not parse", static_cast<char>(key->kind));
  *out = std::move(*key);
  return {};
}

std::string EncodeHeld(const HeldState& h) {
  wire::Held w;
  w.set_incarnation(h.incarnation);
  w.set_applied_seq(h.applied_seq);
  w.set_first_ms(h.first_ms);
  w.set_last_ms(h.last_ms);
  w.set_name(h.name);
  w.set_stale_from_ms(h.stale_from_ms);
  w.set_lives(h.lives);
  w.set_restoring(h.restoring);
  w.set_life_from_ms(h.life_from_ms);
  w.set_restored_first_ms(h.restored_first_ms);
  w.set_restore_from_ms(h.restore_from_ms);
  return w.SerializeAsString();
}

std::optional<HeldState> DecodeHeld(std::string_view bytes) {
  auto w = Parse<wire::Held>(bytes);
  if (!w) return std::nullopt;
  return HeldState{w->incarnation(), w->applied_seq(), w->first_ms(), w->last_ms(), std::move(*w->mutable_name()),
                   w->stale_from_ms(), std::max(1u, w->lives()), w->restoring(), w->life_from_ms(),
                   w->restored_first_ms(), w->restore_from_ms()};
}

std::string EncodeReplica(const ReplicaState& r) {
  wire::Replica w;
  w.set_acked_seq(r.acked_seq);
  w.set_copying(r.copying);
  w.set_copy_cursor(r.copy_cursor);
  w.set_copy_base(r.copy_base);
  w.set_copy_base_ms(r.copy_base_ms);
  return w.SerializeAsString();
}

std::optional<ReplicaState> DecodeReplica(std::string_view bytes) {
  auto w = Parse<wire::Replica>(bytes);
  if (!w) return std::nullopt;
  return ReplicaState{w->acked_seq(), w->copying(), std::move(*w->mutable_copy_cursor()), w->copy_base(),
                      w->copy_base_ms()};
}

}  // namespace shoal::store
