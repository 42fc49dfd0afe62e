// The pool's figures and levels on the wire (daemon/engine/figures_codec.h).
#include <catch2/catch.hpp>

#include <cmath>

#include "core/random.h"
#include "daemon/engine/figures_codec.h"
#include "daemon/engine/node_detail.h"
#include "pool_figures.pb.h"

using namespace shoal;
using namespace shoal::engine;
using namespace shoal::policy;

namespace {

PoolFigures SomeFigures() {
  PoolFigures f;
  Random r(11);
  for (int n = 0; n < 40; ++n) {
    PoolFigures part;
    part.nodes = 1;
    part.capacity = 8000;
    for (const char* name : {"batch", "web"}) {
      AppFigures& a = part.apps[name];
      a.instances = 1;
      a.demand = r.Unit() * 3000;
      a.usage = a.demand / 2;
      a.booked = a.demand / 3;
      a.allocated = a.demand / 2;
      a.node_capacity = 8000;
      a.bookable.Add(a.demand);
      a.room.Add(8000 - r.Unit() * 4000);
      if (name[0] == 'w') {
        a.cappable.Add(a.demand);
        a.capacity.Add(8000);
      }
    }
    f.Merge(part);
  }
  return f;
}

}  // namespace

TEST_CASE("pool figures survive the wire: sums to a sixteenth of a millicore, sketch means to their bin", "[figures]") {
  const PoolFigures f = SomeFigures();
  auto back = DecodeFigures(EncodeFigures(f));
  REQUIRE(back.ok());
  CHECK(back->nodes == 40);
  CHECK(back->capacity == 320000);
  REQUIRE(back->apps.size() == 2);
  const AppFigures& a = f.apps.at("web");
  const AppFigures& b = back->apps.at("web");
  CHECK(b.instances == 40);
  CHECK(b.demand == Approx(a.demand).margin(1.0 / 16));
  CHECK(b.bookable.count() == 40);
  REQUIRE(b.bookable.raw_bins().size() == a.bookable.raw_bins().size());
  // Each bin's mean travels as its place in the bin, in 127ths of its width.
  for (size_t i = 0; i < a.bookable.raw_bins().size(); ++i) {
    const WaterSketch::Bin &x = a.bookable.raw_bins()[i], &y = b.bookable.raw_bins()[i];
    CHECK(y.index == x.index);
    CHECK(y.count == x.count);
    const double width = WaterSketch::BinLow(static_cast<uint16_t>(x.index + 1)) - WaterSketch::BinLow(x.index);
    CHECK(std::abs(y.sum / y.count - x.sum / x.count) <= width / 254 + 1e-9);
  }
  CHECK(b.bookable.LevelFor(20000) == Approx(a.bookable.LevelFor(20000)).epsilon(2e-3));
  // Again on the wire, the same.
  auto again = DecodeFigures(EncodeFigures(*back));
  REQUIRE(again.ok());
  CHECK(again->apps.at("web").bookable.raw_bins() == b.bookable.raw_bins());
  CHECK(b.cappable.count() == 40);
  CHECK(back->apps.at("batch").cappable.count() == 0);
  // Merging parts on the wire is merging the figures.
  const std::string one = EncodeFigures(f), two = EncodeFigures(SomeFigures());
  const std::string* parts[] = {&one, &two};
  auto merged = DecodeFigures(MergeFigureParts(parts));
  REQUIRE(merged.ok());
  CHECK(merged->nodes == 80);
  CHECK(merged->apps.at("web").room.count() == 80);
}

TEST_CASE("pool figures that no encoder would make are refused, naming what is wrong", "[figures]") {
  CHECK_FALSE(DecodeFigures("\xff\xff\xff").ok());
  auto refused = [](const wire::PoolFigures& msg) {
    auto r = DecodeFigures(msg.SerializeAsString());
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  wire::PoolFigures msg;
  msg.add_apps()->set_name("web");
  msg.add_apps()->set_name("batch");
  CHECK_THAT(refused(msg), Catch::Contains("not in order"));
  msg.Clear();
  msg.add_apps()->set_name("");
  CHECK_THAT(refused(msg), Catch::Contains("name of 0 bytes"));
  msg.Clear();
  wire::Sketch* s = msg.add_apps()->mutable_bookable();
  msg.mutable_apps(0)->set_name("web");
  s->add_bin_steps(WaterSketch::BinOf(100));
  s->add_counts(1);
  s->add_sums(1000 * 16);  // a mean of 1000 in the bin of 100
  CHECK_THAT(refused(msg), Catch::Contains("outside it"));
  s->set_sums(0, 100 * 16);
  s->add_bin_steps(0);  // the same bin again
  s->add_counts(1);
  s->add_sums(100 * 16);
  CHECK_THAT(refused(msg), Catch::Contains("out of order"));
  s->clear_counts();
  CHECK_THAT(refused(msg), Catch::Contains("2 bins, 0 counts"));
  s->Clear();
  s->add_bin_steps(WaterSketch::BinOf(100));
  s->add_counts(1);
  s->add_mean_places(128);
  CHECK_THAT(refused(msg), Catch::Contains("a mean's place 128 (0 to 127)"));
  s->set_mean_places(0, 127);
  CHECK(DecodeFigures(msg.SerializeAsString()).ok());
  s->add_sums(100 * 16);  // both ways at once
  CHECK_THAT(refused(msg), Catch::Contains("1 sums and 1 mean places"));
  s->Clear();
  s->add_bin_steps(WaterSketch::kBinCount - 1);  // the last bin has no high end: no place in it
  s->add_counts(1);
  s->add_mean_places(3);
  CHECK_THAT(refused(msg), Catch::Contains("in bin"));
}

TEST_CASE("a sketch reaching the last bin travels with its sums", "[figures]") {
  PoolFigures f;
  f.nodes = 1;
  AppFigures& a = f.apps["huge"];
  a.instances = 1;
  a.bookable.Add(std::ldexp(1.0, WaterSketch::kOctaves) * 3);
  a.bookable.Add(100);
  wire::PoolFigures msg;
  REQUIRE(msg.ParseFromString(EncodeFigures(f)));
  CHECK(msg.apps(0).bookable().sums_size() == 2);
  CHECK(msg.apps(0).bookable().mean_places_size() == 0);
  auto back = DecodeFigures(EncodeFigures(f));
  REQUIRE(back.ok());
  CHECK(back->apps.at("huge").bookable.sum() == Approx(a.bookable.sum()));
}

TEST_CASE("a node's detail whose pool figures are of no node is refused: they could not go out again", "[figures]") {
  // fuzz_status found it: figures that parse to nothing (every field of
  // another wire type) re-encode as no bytes, so a detail passed on lost
  // the figures it had been taken with.
  NodeDetail d;
  d.status.name = "web-07";
  policy::PoolFigures none;
  auto refused = DecodeDetail(EncodeDetail(d, EncodeFigures(none) + std::string("\x0a\x03web", 5)));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("web-07") && Catch::Contains("of no node"));
  policy::PoolFigures some;
  some.nodes = 3;
  auto kept = DecodeDetail(EncodeDetail(d, EncodeFigures(some)));
  REQUIRE(kept.ok());
  REQUIRE(kept->pool_figures.has_value());
  auto again = DecodeDetail(EncodeDetail(kept->detail, EncodeFigures(*kept->pool_figures)));
  REQUIRE(again.ok());
  CHECK(again->pool_figures.has_value());
  CHECK(again->pool_figures->nodes == 3);
}

TEST_CASE("levels carry what planning a row needs and take this node's policies", "[figures]") {
  const std::vector<CpuPolicy> policies = {{"web", CpuShareKind::kPoolPercent, 20, 40.0, 1},
                                           {"batch", CpuShareKind::kMillicores, 9000, std::nullopt, 2}};
  PoolFigures f = SomeFigures();
  f.apps["stray"].instances = 3;  // rogue: no level, not sent
  const PoolLevels levels = PlanLevels(f, policies, {});
  auto back = DecodeLevels(EncodeLevels(levels), policies, {});
  REQUIRE(back.ok());
  REQUIRE(back->pool.apps.size() == 2);
  CHECK(back->pool.apps[0].demand == 0);  // the totals travel apart
  REQUIRE(ApplyTotals(EncodeTotals(levels), *back).ok());
  CHECK(back->pool.apps[0].name == "batch");
  CHECK(back->pool.FindApp("stray") == nullptr);
  for (size_t i = 0; i < 2; ++i) {
    const AppPlan& b = back->pool.apps[i];
    const AppPlan& a = *levels.pool.FindApp(b.name);
    const size_t l = static_cast<size_t>(&a - levels.pool.apps.data());
    CHECK(b.policy.has_value());
    CHECK(b.entitlement == Approx(a.entitlement).margin(1.0 / 16));
    CHECK(b.scale == Approx(a.scale));
    CHECK(back->spread[i].fill_room == levels.spread[l].fill_room);
    CHECK(back->spread[i].level == Approx(levels.spread[l].level).margin(1.0 / 16));
    CHECK(back->instances[i] == levels.instances[l]);
    // The pool's totals and the request, from their own entry (every node reads the same).
    CHECK(b.requested == Approx(a.requested).margin(1.0 / 16));
    CHECK(b.demand == Approx(a.demand).margin(1.0 / 16));
    CHECK(b.usage == Approx(a.usage).margin(1.0 / 16));
    CHECK(b.booked == Approx(a.booked).margin(1.0 / 16));
    CHECK(b.allocated == Approx(a.allocated).margin(1.0 / 16));
    CHECK(a.demand > 0);
  }
  CHECK(back->pool.FindApp("web")->cap == Approx(levels.pool.FindApp("web")->cap).margin(1.0 / 16));
  CHECK(back->pool.FindApp("batch")->cap == kNoCap);
  // A row planned from the levels that came over the wire is the row
  // planned from the levels themselves.
  const std::vector<PlanInstance> own = {{"web", NodeId{1}, 2500, 1000}, {"batch", NodeId{1}, 2000, 1000}};
  const RowPlan a = PlanRow(levels, {NodeId{1}, "n1", 8000}, own);
  const RowPlan b = PlanRow(*back, {NodeId{1}, "n1", 8000}, own);
  REQUIRE(a.plan.instances.size() == b.plan.instances.size());
  for (size_t i = 0; i < a.plan.instances.size(); ++i) {
    CHECK(std::abs(a.plan.instances[i].millicores - b.plan.instances[i].millicores) <= 1);
  }
  wire::PoolLevels bad;
  bad.add_apps()->set_name("web");
  bad.mutable_apps(0)->set_scale_cut_ppb(2'000'000'000);
  auto refused = DecodeLevels(bad.SerializeAsString(), policies, {});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("over the whole"));
  wire::PoolTotals unordered;
  unordered.add_apps()->set_name("web");
  unordered.add_apps()->set_name("batch");
  auto totals = ApplyTotals(unordered.SerializeAsString(), *back);
  REQUIRE_FALSE(totals.ok());
  CHECK_THAT(totals.error().message, Catch::Contains("batch"));
}
