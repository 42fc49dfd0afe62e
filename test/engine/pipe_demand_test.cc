#include <catch2/catch.hpp>

#include "daemon/engine/pipe_demand.h"
#include "pipe_demand.pb.h"

using namespace shoal;
using namespace shoal::engine;

TEST_CASE("pipe demand: what a node publishes decodes to the same figures, sparse on the wire") {
  PipeDemand d;
  d.round = 17'800'000'123;
  d.document = DocumentDigest("7@node-3");
  d.lanes = {{1, {0, 0, 250'000, 0}, {}, {}}, {3, {1'514, 0, 0, 9'000'000}, {}, {}}};
  auto bytes = EncodePipeDemand(d);
  REQUIRE(bytes.ok());
  CHECK(bytes->size() <= 45);  // round 6, document 9, two lanes of 11 and 16
  auto back = DecodePipeDemand(*bytes);
  REQUIRE(back.ok());
  CHECK(*back == d);
  REQUIRE(back->Find(3) != nullptr);
  CHECK(back->Find(3)->bytes[3] == 9'000'000);
  CHECK(back->Find(2) == nullptr);
  CHECK(DocumentDigest("7@node-3") != DocumentDigest("8@node-3"));
  // The last period's figures ride along, sparse too.
  d.lanes[1].used = {0, 0, 0, 88'000'000};
  d.lanes[1].allocated = {0, 1'000, 0, 90'000'000};
  d.lanes[1].fallback = 700'000;
  d.period = true;
  auto with_period = EncodePipeDemand(d);
  REQUIRE(with_period.ok());
  CHECK(with_period->size() <= bytes->size() + 30);  // two figures, a fallback and the flag
  auto period = DecodePipeDemand(*with_period);
  REQUIRE(period.ok());
  CHECK(*period == d);
  CHECK_FALSE(*period == *DecodePipeDemand(*bytes));
  CHECK(period->Find(3)->allocated[1] == 1'000);
  CHECK(period->Find(3)->fallback == 700'000);
  // Without the period flag only the claims go out.
  d.period = false;
  auto claims = DecodePipeDemand(*EncodePipeDemand(d));
  REQUIRE(claims.ok());
  CHECK(claims->Find(3)->bytes[3] == 9'000'000);
  CHECK(claims->Find(3)->used.empty());
  CHECK(claims->Find(3)->fallback == 0);
}

TEST_CASE("pipe demand: malformed figures are refused with what is wrong") {
  auto refused = [](const wire::PipeDemand& w) {
    auto d = DecodePipeDemand(w.SerializeAsString());
    REQUIRE_FALSE(d.ok());
    return d.error().message;
  };
  wire::PipeDemand w;
  auto* lane = w.add_lanes();
  lane->set_lane(kMaxLanes);
  CHECK(refused(w).find("lane 128 beyond") != std::string::npos);
  lane->set_lane(1);
  lane->add_slots(2);
  CHECK(refused(w).find("1 slots but 0 figures") != std::string::npos);
  lane->add_bytes(kMaxDemandBytes + 1);
  CHECK(refused(w).find("has 1099511627777 (at most") != std::string::npos);
  lane->set_bytes(0, 10);
  lane->add_slots(2);
  lane->add_bytes(10);
  CHECK(refused(w).find("slot 2 twice") != std::string::npos);
  lane->set_slots(1, 3);
  w.add_lanes()->set_lane(1);
  CHECK(refused(w).find("out of order or repeated") != std::string::npos);
  w.mutable_lanes()->RemoveLast();
  w.set_period(true);
  lane->add_period_slots(4);
  lane->add_used(kMaxRate + 1);
  CHECK(refused(w).find("1 slots but 0 figures") != std::string::npos);
  lane->add_allocated(1);
  CHECK(refused(w).find("slot 4 has 17592186044417 (at most") != std::string::npos);
  CHECK_FALSE(DecodePipeDemand("\xff\xff\xff").ok());
  CHECK_FALSE(DecodePipeDemand(std::string(kPipeDemandMaxBytes + 1, '\0')).ok());
}
