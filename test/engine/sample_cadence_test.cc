#include <catch2/catch.hpp>

#include "daemon/engine/sample_cadence.h"

using namespace shoal;
using namespace shoal::engine;
using namespace std::chrono_literals;
using Due = SampleCadence::Due;

namespace {
constexpr TimePoint kStart{100s};
}

TEST_CASE("sample cadence: regular samples keep their phase, a document adds one a quarter period on") {
  SampleCadence c(1s, 3);
  c.Start(kStart, 0.25);  // the first at 0.75 s
  CHECK(c.Next(kStart + 740ms) == Due::kNone);
  CHECK(c.Next(kStart + 750ms) == Due::kRegular);
  CHECK(c.full());  // the first is a full rescan
  CHECK(c.Next(kStart + 760ms) == Due::kNone);  // handed out once
  CHECK(c.Next(kStart + 1750ms) == Due::kRegular);
  CHECK_FALSE(c.full());
  CHECK(c.Next(kStart + 2750ms) == Due::kRegular);
  CHECK_FALSE(c.full());
  CHECK(c.Next(kStart + 3750ms) == Due::kRegular);
  CHECK(c.full());  // every third

  c.OnDocument(kStart + 4000ms);  // a full scan taken now
  CHECK(c.Next(kStart + 4200ms) == Due::kNone);
  CHECK(c.Next(kStart + 4250ms) == Due::kQuick);
  CHECK(c.Next(kStart + 4300ms) == Due::kNone);
  CHECK(c.Next(kStart + 4750ms) == Due::kRegular);  // the phase kept
  CHECK_FALSE(c.full());  // the document's scan was the full one

  // The regular one would come 150 ms after the document's scan: it waits
  // for the quick one's time (a window of a quarter period), and the one
  // after it keeps the phase.
  c.OnDocument(kStart + 5600ms);
  CHECK(c.Next(kStart + 5750ms) == Due::kNone);
  CHECK(c.Next(kStart + 5850ms) == Due::kRegular);
  CHECK_FALSE(c.full());
  CHECK(c.Next(kStart + 6000ms) == Due::kNone);
  CHECK(c.Next(kStart + 6740ms) == Due::kNone);
  CHECK(c.Next(kStart + 6750ms) == Due::kRegular);
  CHECK(c.Next(kStart + 7000ms) == Due::kNone);

  SampleCadence late(1s, 3);
  late.Start(kStart, 0);
  CHECK(late.Next(kStart + 3200ms) == Due::kRegular);  // a stalled node samples once, not three times
  CHECK(late.Next(kStart + 3300ms) == Due::kNone);
  CHECK(late.Next(kStart + 3400ms) == Due::kNone);
  CHECK(late.Next(kStart + 3500ms) == Due::kRegular);  // the phase kept
}

TEST_CASE("sample cadence: settling until two samples under a document, or for at most settle_max") {
  SampleCadence c(1s, 10, 10s);
  c.Start(kStart, 0);
  CHECK(c.settling(kStart));
  CHECK(c.Next(kStart + 500ms) == Due::kRegular);  // no document: not measured
  CHECK(c.settling(kStart + 500ms));
  c.OnDocument(kStart + 600ms);
  CHECK(c.settling(kStart + 600ms));  // one sample under it
  CHECK(c.Next(kStart + 850ms) == Due::kQuick);
  CHECK_FALSE(c.settling(kStart + 850ms));
  c.OnDocument(kStart + 2000ms);  // a push later: settled for good
  CHECK_FALSE(c.settling(kStart + 2000ms));

  SampleCadence no_policy(1s, 10, 10s);
  no_policy.Start(kStart, 0);
  for (auto t = kStart; t < kStart + 11s; t += 100ms) (void)no_policy.Next(t);
  CHECK(no_policy.settling(kStart + 9999ms));
  CHECK_FALSE(no_policy.settling(kStart + 10s));
}
