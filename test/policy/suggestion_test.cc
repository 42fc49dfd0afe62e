// Suggested policies from recorded demand: a valid document (the parser and
// the XSD) that keeps the active one's applications and priorities, books
// each application a percentile of its demand plus headroom, caps the one
// whose peaks squeezed others, names complementary applications, and,
// replayed over the same periods, meets its own bookings in at least the
// percentile's share of them.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "core/percentile.h"
#include "policy/suggestion.h"
#include "test/policy/recorded_pool.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

const char* kActive = R"(<shoal-policy mode="monitor">
<application name="web"><process name="nginx"/></application>
<application name="batch"><process name="spark"/></application>
<application name="db"><process name="postgres"/></application>
<application name="hog"><process name="miner"/></application>
<application name="mail"><process name="postfix"/></application>
<policy application="web" priority="1"><cpu pool-percent="10%"/></policy>
<policy application="db" priority="1"><cpu cores="1"/></policy>
<policy application="batch" priority="3"><cpu pool-percent="5%"/></policy>
<policy application="mail" priority="2"><cpu cores="0.5"/></policy>
</shoal-policy>
)";

// web busy by day, batch by night (complementary); db steady with noise;
// hog quiet but for a spike every 20th period.
double Demand(const std::string& app, size_t node, size_t t) {
  const bool day = (t / 50) % 2 == 0;
  const double noise = static_cast<double>((t * 7 + node * 13) % 10) * 20;
  if (app == "web") return (day ? 1200 : 200) + noise;
  if (app == "batch") return (day ? 100 : 1100) + noise;
  if (app == "db") return 500 + noise;
  if (app == "hog") return t % 20 == 0 ? 1800 : 100;
  return 0;
}

std::vector<RecordedPeriod> Recorded() {
  auto periods = testing::RecordPool(4, 4000, {"web", "batch", "db", "hog", "ghost"}, 400, 1'764'547'200'000,
                                     [](const std::string& app, size_t n, size_t t) {
                                       return app == "ghost" ? 50.0 : Demand(app, n, t);
                                     },
                                     testing::ParseDoc(kActive));
  // When hog spiked, db was squeezed on every node.
  for (size_t t = 0; t < periods.size(); t += 20) {
    for (auto& i : periods[t].instances) {
      if (i.app == "db") i.allocation = i.demand / 2;
    }
  }
  return periods;
}

DemandSeries SeriesOf(const std::vector<RecordedPeriod>& periods) {
  DemandSeries s;
  for (const auto& p : periods) s.Add(p);
  return s;
}

}  // namespace

TEST_CASE("suggest: a valid document from the recorded demand, with what each booking is based on") {
  const auto periods = Recorded();
  const PolicyDocument active = testing::ParseDoc(kActive);
  auto s = Suggest(SeriesOf(periods), active, {95, 0.2});
  REQUIRE(s.ok());
  const std::string xml = WriteSuggestion(*s);
  INFO(xml);
  // The parser and the XSD accept it.
  const PolicyDocument doc = testing::ParseDoc(xml);
  const std::string path = fmt::format("/tmp/shoal-suggest-{}.xml", ::getpid());
  std::ofstream(path) << xml;
  const int xsd = std::system(("xmllint --noout --schema " SHOAL_SOURCE_DIR "/policy/shoal-policy.xsd " + path +
                               " > /dev/null 2>&1").c_str());
  std::remove(path.c_str());
  REQUIRE(xsd == 0);

  // web's pool-wide demand per period: its 95th percentile plus 20%, in cores.
  std::vector<double> web_demand;
  for (const auto& p : periods) {
    double sum = 0;
    for (const auto& i : p.instances) sum += i.app == "web" ? i.demand : 0;
    web_demand.push_back(sum);
  }
  const PolicySpec* web = doc.FindPolicy("web");
  REQUIRE(web->cpu->kind == CpuKind::kCores);
  REQUIRE(web->priority == 1);
  REQUIRE(web->cpu->amount == Approx(Percentile(web_demand, 95) * 1.2 / 1000).margin(0.011));
  REQUIRE(!web->cpu->cap);
  REQUIRE(doc.FindPolicy("batch")->priority == 3);
  // hog had no policy: it gets one at the least important level, capped.
  const PolicySpec* hog = doc.FindPolicy("hog");
  REQUIRE(hog->priority == 4);
  REQUIRE(hog->cpu->cap);
  REQUIRE(s->comments.at("hog").find("capped at") != std::string::npos);
  REQUIRE(s->comments.at("web").find("95th percentile of its pool-wide demand over 400 period(s)") !=
          std::string::npos);
  REQUIRE(xml.find("<!-- web: ") != std::string::npos);
  // mail had no figures: kept as it was; ghost is not defined: left out.
  REQUIRE(doc.FindPolicy("mail")->cpu->amount == Approx(0.5));
  REQUIRE(!doc.FindApplication("ghost"));
  REQUIRE(s->notes.size() == 2);
  // web and batch peak at different times.
  REQUIRE(!s->complementary.empty());
  REQUIRE(s->complementary[0].a == "batch");
  REQUIRE(s->complementary[0].b == "web");
  REQUIRE(s->complementary[0].saving() > 0.3 * s->complementary[0].apart);
  REQUIRE(s->summary.find("batch and web peak at different times") != std::string::npos);
}

TEST_CASE("suggest: replayed over the same periods, the suggestion meets its own bookings") {
  const auto periods = Recorded();
  for (double percentile : {80.0, 95.0}) {
    auto s = Suggest(SeriesOf(periods), testing::ParseDoc(kActive), {percentile, 0.2});
    REQUIRE(s.ok());
    auto replay = Replay::Create(s->document);
    REQUIRE(replay.ok());
    for (const auto& p : periods) replay->Add(p);
    REQUIRE(replay->report().overbooked_periods == 0);
    for (const auto& app : replay->report().apps) {
      if (!s->comments.count(app.name)) continue;
      INFO(app.name << " at the " << percentile << "th percentile");
      REQUIRE(app.unmet_periods == 0);
      const double met = 1 - static_cast<double>(app.replayed.short_of_booking) / app.replayed.periods;
      REQUIRE(met >= percentile / 100);
    }
  }
}

TEST_CASE("suggest: bookings that would not fit are scaled to the pool, and nothing to suggest is an error") {
  // Two hungry applications on a small pool.
  auto periods = testing::RecordPool(2, 1000, {"web", "db"}, 50, 1'764'547'200'000,
                                     [](const std::string&, size_t, size_t) { return 900.0; },
                                     testing::ParseDoc(kActive));
  auto s = Suggest(SeriesOf(periods), testing::ParseDoc(kActive), {95, 0.2});
  REQUIRE(s.ok());
  const PolicyDocument doc = testing::ParseDoc(WriteSuggestion(*s));
  REQUIRE(doc.FindPolicy("web")->cpu->amount + doc.FindPolicy("db")->cpu->amount <= 2.0);
  REQUIRE(s->comments.at("web").find("scaled by") != std::string::npos);
  auto none = Suggest(DemandSeries{}, testing::ParseDoc(kActive), {});
  REQUIRE(!none.ok());
  REQUIRE(none.error().message == "no application of the active policy has figures over the 0 period(s)");
}
