#include "daemon/engine/figures_codec.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pool_figures.pb.h"

namespace shoal::engine {
namespace {

using policy::WaterSketch;

constexpr double kUnit = 16;  // wire units per millicore
constexpr double kMaxAmount = 1e15;  // millicores; beyond any pool

uint64_t ToWire(double millicores) {
  if (!(millicores > 0)) return 0;
  return static_cast<uint64_t>(std::llround(std::min(millicores, kMaxAmount) * kUnit));
}

double FromWire(uint64_t units) { return static_cast<double>(units) / kUnit; }

// A bin's range, [low, high): the last bin has no high end.
double BinHigh(uint16_t index) {
  return index + 1 < WaterSketch::kBinCount ? WaterSketch::BinLow(static_cast<uint16_t>(index + 1)) : HUGE_VAL;
}

constexpr double kPlaces = 127;  // a mean's place in its bin, 0 to kPlaces: one varint byte

// The mean's place errs by at most 1/254 of its bin's width, a fraction of
// what the sketch already errs by (a bin's amounts are all taken at their
// mean), and merging parts hop after hop adds at most that once a hop.
void PutSketch(const WaterSketch& s, wire::Sketch& out) {
  const bool places = s.raw_bins().empty() || s.raw_bins().back().index + 1 < WaterSketch::kBinCount;
  uint32_t previous = 0;
  for (const WaterSketch::Bin& b : s.raw_bins()) {
    out.add_bin_steps(b.index - previous);
    out.add_counts(b.count);
    if (places) {
      const double low = WaterSketch::BinLow(b.index), mean = b.sum / b.count;
      const double place = std::clamp((mean - low) / (BinHigh(b.index) - low), 0.0, 1.0) * kPlaces;
      out.add_mean_places(static_cast<uint32_t>(std::lround(place)));
    } else {
      out.add_sums(ToWire(b.sum));
    }
    previous = b.index;
  }
}

Status GetSketch(const wire::Sketch& in, const char* what, const std::string& app, WaterSketch& out) {
  const int amounts = in.sums_size() + in.mean_places_size();
  if (in.counts_size() != in.bin_steps_size() || amounts != in.bin_steps_size() ||
      (in.sums_size() > 0 && in.mean_places_size() > 0)) {
    return MakeError("application {}: sketch {} has {} bins, {} counts, {} sums and {} mean places", app, what,
                     in.bin_steps_size(), in.counts_size(), in.sums_size(), in.mean_places_size());
  }
  std::vector<WaterSketch::Bin> bins(static_cast<size_t>(in.bin_steps_size()));
  uint64_t index = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    const int k = static_cast<int>(i);
    index += in.bin_steps(k);
    if (index >= WaterSketch::kBinCount || (i > 0 && in.bin_steps(k) == 0)) {
      return MakeError("application {}: sketch {} has bins out of order or range", app, what);
    }
    const auto bin = static_cast<uint16_t>(index);
    double sum = 0;
    if (in.sums_size() > 0) {
      sum = FromWire(in.sums(k));
    } else if (in.mean_places(k) > kPlaces || bin + 1 >= WaterSketch::kBinCount) {
      return MakeError("application {}: sketch {} has a mean's place {} (0 to {}) in bin {}", app, what,
                       in.mean_places(k), kPlaces, index);
    } else {
      const double low = WaterSketch::BinLow(bin);
      sum = (low + (BinHigh(bin) - low) * in.mean_places(k) / kPlaces) * in.counts(k);
    }
    bins[i] = {bin, in.counts(k), sum};
  }
  if (!WaterSketch::FromBins(std::move(bins), out)) {
    return MakeError("application {}: sketch {} has an empty bin or a bin whose mean lies outside it", app, what);
  }
  return Status::Ok();
}

Status CheckName(const std::string& name, const std::string* previous) {
  if (name.empty() || name.size() > kMaxAppNameBytes) {
    return MakeError("an application name of {} bytes (1 to {})", name.size(), kMaxAppNameBytes);
  }
  if (previous != nullptr && !(*previous < name)) {
    return MakeError("application {} after {}: not in order, or repeated", name, *previous);
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeFigures(const policy::PoolFigures& figures) {
  wire::PoolFigures msg;
  msg.set_nodes(figures.nodes);
  msg.set_capacity(ToWire(figures.capacity));
  for (const auto& [name, app] : figures.apps) {
    wire::AppFigures* a = msg.add_apps();
    a->set_name(name);
    a->set_instances(app.instances);
    a->set_demand(ToWire(app.demand));
    a->set_usage(ToWire(app.usage));
    a->set_booked(ToWire(app.booked));
    a->set_allocated(ToWire(app.allocated));
    a->set_node_capacity(ToWire(app.node_capacity));
    if (app.bookable.count() > 0) PutSketch(app.bookable, *a->mutable_bookable());
    if (app.room.count() > 0) PutSketch(app.room, *a->mutable_room());
    if (app.cappable.count() > 0) PutSketch(app.cappable, *a->mutable_cappable());
    if (app.capacity.count() > 0) PutSketch(app.capacity, *a->mutable_capacity());
  }
  return msg.SerializeAsString();
}

Result<policy::PoolFigures> DecodeFigures(std::string_view bytes) {
  wire::PoolFigures msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return MakeError("pool figures do not parse");
  if (static_cast<size_t>(msg.apps_size()) > kMaxFigureApps) {
    return MakeError("pool figures name {} applications (at most {})", msg.apps_size(), kMaxFigureApps);
  }
  policy::PoolFigures out;
  out.nodes = msg.nodes();
  out.capacity = FromWire(msg.capacity());
  const std::string* previous = nullptr;
  for (const wire::AppFigures& a : msg.apps()) {
    if (Status s = CheckName(a.name(), previous); !s.ok()) return s.error();
    previous = &a.name();
    policy::AppFigures& app = out.apps.emplace_hint(out.apps.end(), a.name(), policy::AppFigures{})->second;
    app.instances = a.instances();
    app.demand = FromWire(a.demand());
    app.usage = FromWire(a.usage());
    app.booked = FromWire(a.booked());
    app.allocated = FromWire(a.allocated());
    app.node_capacity = FromWire(a.node_capacity());
    for (auto [in, what, sketch] : {std::tuple{&a.bookable(), "bookable", &app.bookable},
                                    std::tuple{&a.room(), "room", &app.room},
                                    std::tuple{&a.cappable(), "cappable", &app.cappable},
                                    std::tuple{&a.capacity(), "capacity", &app.capacity}}) {
      if (Status s = GetSketch(*in, what, a.name(), *sketch); !s.ok()) return s.error();
    }
  }
  return out;
}

std::string MergeFigureParts(std::span<const std::string* const> parts, uint64_t* refused) {
  policy::PoolFigures merged;
  for (const std::string* part : parts) {
    auto figures = DecodeFigures(*part);
    if (!figures.ok()) {
      if (refused != nullptr) ++*refused;
      continue;
    }
    merged.Merge(*figures);
  }
  return EncodeFigures(merged);
}

std::string EncodeLevels(const policy::PoolLevels& levels) {
  wire::PoolLevels msg;
  msg.set_nodes(levels.nodes);
  msg.set_capacity(ToWire(levels.pool.pool_capacity));
  for (size_t i = 0; i < levels.pool.apps.size(); ++i) {
    const policy::AppPlan& app = levels.pool.apps[i];
    if (app.rogue()) continue;
    wire::AppLevels* a = msg.add_apps();
    a->set_name(app.name);
    a->set_instances(levels.instances[i]);
    a->set_scale_cut_ppb(static_cast<uint32_t>(std::llround((1 - std::clamp(app.scale, 0.0, 1.0)) * 1e9)));
    a->set_entitlement(ToWire(app.entitlement));
    a->set_has_cap(app.cap != policy::kNoCap);
    if (a->has_cap()) a->set_cap(ToWire(app.cap));
    a->set_unplaced(ToWire(app.unplaced));
    const policy::SpreadLevel& s = levels.spread[i];
    a->set_fill_room(s.fill_room);
    a->set_level_infinite(std::isinf(s.level));
    if (!a->level_infinite()) a->set_level(ToWire(s.level));
    const policy::SpreadLevel& c = levels.cap_spread[i];
    a->set_cap_fill_room(c.fill_room);
    a->set_cap_level_infinite(std::isinf(c.level));
    if (!a->cap_level_infinite()) a->set_cap_level(ToWire(c.level));
  }
  return msg.SerializeAsString();
}

std::string VersionLevels(std::string encoded, uint64_t version) {
  // Serialized messages concatenated parse as one, the later fields
  // winning: the version goes on without encoding the levels again.
  wire::PoolLevels stamp;
  stamp.set_version(version);
  encoded += stamp.SerializeAsString();
  return encoded;
}

Result<uint64_t> LevelsVersion(std::string_view bytes) {
  wire::PoolLevels msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return MakeError("pool levels do not parse");
  return msg.version();
}

Result<policy::PoolLevels> DecodeLevels(std::string_view bytes, std::span<const policy::CpuPolicy> policies,
                                        const policy::PlannerOptions& options) {
  wire::PoolLevels msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return MakeError("pool levels do not parse");
  if (static_cast<size_t>(msg.apps_size()) > kMaxFigureApps) {
    return MakeError("pool levels name {} applications (at most {})", msg.apps_size(), kMaxFigureApps);
  }
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  policy::PoolLevels out;
  out.nodes = msg.nodes();
  out.pool.options = options;
  out.pool.pool_capacity = FromWire(msg.capacity());
  const std::string* previous = nullptr;
  for (const wire::AppLevels& a : msg.apps()) {
    if (Status s = CheckName(a.name(), previous); !s.ok()) return s.error();
    if (a.scale_cut_ppb() > 1'000'000'000) {
      return MakeError("application {}: a cut of {} ppb, over the whole", a.name(), a.scale_cut_ppb());
    }
    previous = &a.name();
    policy::AppPlan app;
    app.name = a.name();
    app.scale = 1 - static_cast<double>(a.scale_cut_ppb()) / 1e9;
    app.entitlement = FromWire(a.entitlement());
    app.cap = a.has_cap() ? FromWire(a.cap()) : policy::kNoCap;
    app.unplaced = FromWire(a.unplaced());
    out.pool.apps.push_back(std::move(app));
    out.instances.push_back(a.instances());
    out.spread.push_back({a.fill_room(), a.level_infinite() ? kInfinity : FromWire(a.level())});
    out.cap_spread.push_back({a.cap_fill_room(), a.cap_level_infinite() ? kInfinity : FromWire(a.cap_level())});
  }
  policy::AttachPolicies(policies, out);
  return out;
}

std::string EncodeTotals(const policy::PoolLevels& levels) {
  wire::PoolTotals msg;
  for (const policy::AppPlan& app : levels.pool.apps) {
    if (app.rogue()) continue;
    wire::AppTotals* a = msg.add_apps();
    a->set_name(app.name);
    a->set_requested(ToWire(app.requested));
    a->set_demand(ToWire(app.demand));
    a->set_usage(ToWire(app.usage));
    a->set_booked(ToWire(app.booked));
    a->set_allocated(ToWire(app.allocated));
  }
  return msg.SerializeAsString();
}

Status ApplyTotals(std::string_view bytes, policy::PoolLevels& levels) {
  wire::PoolTotals msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return MakeError("pool totals do not parse");
  if (static_cast<size_t>(msg.apps_size()) > kMaxFigureApps) {
    return MakeError("pool totals name {} applications (at most {})", msg.apps_size(), kMaxFigureApps);
  }
  const std::string* previous = nullptr;
  for (const wire::AppTotals& a : msg.apps()) {
    if (Status s = CheckName(a.name(), previous); !s.ok()) return s;
    previous = &a.name();
  }
  for (const wire::AppTotals& a : msg.apps()) {
    auto app = std::find_if(levels.pool.apps.begin(), levels.pool.apps.end(),
                            [&](const policy::AppPlan& x) { return x.name == a.name(); });
    if (app == levels.pool.apps.end()) continue;  // not in these levels (another document's for a moment)
    app->requested = FromWire(a.requested());
    app->demand = FromWire(a.demand());
    app->usage = FromWire(a.usage());
    app->booked = FromWire(a.booked());
    app->allocated = FromWire(a.allocated());
  }
  return Status::Ok();
}

}  // namespace shoal::engine
