#include <catch2/catch.hpp>

#include "gossip/accusations.h"
#include "gossip/channel.h"
#include "gossip/membership.h"
#include "gossip/prober.h"

using namespace shoal;
using namespace shoal::gossip;
using std::chrono::milliseconds;

namespace {
const NodeId kSelf{1};
const NodeId kA{2}, kB{3}, kX{4};

Heartbeat Hb(uint64_t incarnation, std::vector<Accusation> accused = {}, uint32_t ip = 0x0a000001) {
  return Heartbeat{incarnation, Endpoint{ip, 7000}, false, std::move(accused)};
}

struct Events {
  std::vector<std::pair<MemberEvent::Kind, NodeId>> seen;
  Membership::Listener listener() {
    return [this](const MemberEvent& e) { seen.emplace_back(e.kind, e.id); };
  }
  size_t Count(MemberEvent::Kind k, NodeId id) const {
    size_t n = 0;
    for (const auto& [kind, who] : seen) n += kind == k && who == id;
    return n;
  }
};

// A membership that knows A, B and X (incarnation 5), all alive.
struct Pool {
  GossipConfig cfg;
  PeerIndex index{1024};
  Membership m{kSelf, cfg, index};
  Events events;
  ManualClock clock;
  Pool() {
    m.SetListener(events.listener());
    m.OnHeartbeat(kA, Hb(1, {}, 0x0a000002), clock.Now());
    m.OnHeartbeat(kB, Hb(1, {}, 0x0a000003), clock.Now());
    m.OnHeartbeat(kX, Hb(5, {}, 0x0a000004), clock.Now());
    clock.Advance(milliseconds(100));  // their news of life is 100 ms old
  }
  MemberState StateOf(NodeId id) const { return m.Find(id)->state; }
};
}  // namespace

TEST_CASE("an accusation book keeps what each accuser says now, with when it was first heard") {
  AccusationBook book;
  ManualClock c;
  const TimePoint t0 = c.Now();
  const Accusation x5{kX, 5};
  book.Replace(kA, std::vector{x5}, t0);
  c.Advance(milliseconds(100));
  book.Replace(kB, std::vector{x5}, c.Now());
  book.Replace(kA, std::vector{x5}, c.Now());  // repeated: still heard at t0
  REQUIRE(book.Standing(kX, 5, t0 - milliseconds(1)) == t0);
  REQUIRE(book.By(kA) == std::vector{x5});

  // A withdraws; B's stands, heard 100 ms later.
  book.Replace(kA, {}, c.Now());
  REQUIRE(book.By(kA).empty());
  REQUIRE(book.Standing(kX, 5, t0) == t0 + milliseconds(100));
  // News of life from after B's accusation answers it for good.
  REQUIRE_FALSE(book.Standing(kX, 5, c.Now() + milliseconds(1)).has_value());
  REQUIRE(book.By(kB).empty());
  REQUIRE(book.empty());

  // A newer incarnation refutes; a new accusation of it stands again.
  book.Replace(kA, std::vector{x5}, c.Now());
  REQUIRE_FALSE(book.Standing(kX, 6, t0).has_value());
  book.Replace(kA, std::vector{Accusation{kX, 6}}, c.Now());
  REQUIRE(book.Standing(kX, 6, t0).has_value());
  REQUIRE(book.AccusedAfter(kX, 6, t0));
  REQUIRE_FALSE(book.AccusedAfter(kX, 7, t0));
  REQUIRE_FALSE(book.AccusedAfter(kX, 6, c.Now()));

  // Forget drops a node as accused and as accuser.
  book.Replace(kX, std::vector{Accusation{kB, 1}}, c.Now());
  book.Forget(kX);
  REQUIRE(book.empty());
}

TEST_CASE("one node makes at most kMaxAccusations, and each once") {
  AccusationBook book;
  const TimePoint now{};
  for (uint64_t i = 0; i < kMaxAccusations; ++i) REQUIRE(book.Add(kSelf, Accusation{NodeId{100 + i}, 1}, now));
  REQUIRE_FALSE(book.Add(kSelf, Accusation{NodeId{99}, 1}, now));
  REQUIRE_FALSE(book.Add(kSelf, Accusation{NodeId{100}, 1}, now));
  REQUIRE(book.Add(kA, Accusation{NodeId{99}, 1}, now));  // another accuser has room
  REQUIRE(book.By(kSelf).size() == kMaxAccusations);
  REQUIRE(book.Accused().size() == kMaxAccusations + 1);
}

TEST_CASE("heartbeats carry accusations, and junk ones are refused") {
  const Heartbeat h = Hb(9, {Accusation{kX, 5}, Accusation{kB, 1}});
  auto back = DecodeHeartbeat(EncodeHeartbeat(h));
  REQUIRE(back.ok());
  REQUIRE(back->accused == h.accused);

  std::vector<Accusation> many;
  for (uint64_t i = 0; i <= kMaxAccusations; ++i) many.push_back(Accusation{NodeId{10 + i}, 1});
  auto too_many = DecodeHeartbeat(EncodeHeartbeat(Hb(9, many)));
  REQUIRE_FALSE(too_many.ok());
  REQUIRE_THAT(too_many.error().message, Catch::Contains("accuses 9 nodes"));
  REQUIRE_FALSE(DecodeHeartbeat(EncodeHeartbeat(Hb(9, {Accusation{NodeId{0}, 1}}))).ok());
  // The heartbeat channel's bound holds the most accusations.
  std::vector<Accusation> most;
  for (uint64_t i = 0; i < kMaxAccusations; ++i) most.push_back(Accusation{NodeId{~uint64_t{0} - i}, ~uint64_t{0}});
  Heartbeat big = Hb(~uint64_t{0}, most, 0xffffffff);
  big.endpoint.port = 65535;
  big.protocol = ProtocolRange{kProtocolVersion, kProtocolVersion};
  big.build = std::string(kMaxBuildBytes + 10, 'b');  // cut to kMaxBuildBytes
  REQUIRE(EncodeHeartbeat(big).size() <= channels::kHeartbeatMaxPayload);
  REQUIRE(DecodeHeartbeat(EncodeHeartbeat(big))->build.size() == kMaxBuildBytes);
}

TEST_CASE("an accusation heard makes the accused suspect at once and failed after the accusation timeout") {
  Pool p;
  p.m.OnHeartbeat(kA, Hb(1, {Accusation{kX, 5}}, 0x0a000002), p.clock.Now());
  p.m.CheckAccusations(p.clock.Now());
  REQUIRE(p.StateOf(kX) == MemberState::kSuspect);
  REQUIRE(p.events.Count(MemberEvent::Kind::kSuspected, kX) == 1);
  // Suspected at once, long before silence alone would say anything;
  // failed once the probes and the accusation have waited as long as
  // silence would.
  REQUIRE(p.m.accusation_timeout() == p.cfg.failure_timeout - p.cfg.probe_timeout);
  p.clock.Advance(p.m.accusation_timeout() - milliseconds(1));
  p.m.CheckAccusations(p.clock.Now());
  REQUIRE(p.StateOf(kX) == MemberState::kSuspect);
  p.clock.Advance(milliseconds(1));
  p.m.CheckAccusations(p.clock.Now());
  REQUIRE(p.StateOf(kX) == MemberState::kFailed);
  REQUIRE(p.events.Count(MemberEvent::Kind::kFailed, kX) == 1);
  // The accuser and the other bystander are untouched.
  REQUIRE(p.StateOf(kA) == MemberState::kAlive);
  REQUIRE(p.StateOf(kB) == MemberState::kAlive);
}

TEST_CASE("an accusation is answered by a newer incarnation or by news of life from after it, not before") {
  SECTION("refuted") {
    Pool p;
    p.m.OnHeartbeat(kA, Hb(1, {Accusation{kX, 5}}, 0x0a000002), p.clock.Now());
    p.m.CheckAccusations(p.clock.Now());
    p.clock.Advance(milliseconds(300));
    p.m.OnHeartbeat(kX, Hb(6, {}, 0x0a000004), p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kAlive);
    p.clock.Advance(p.m.accusation_timeout());
    p.m.CheckAccusations(p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kAlive);
    // An accusation of the old incarnation, heard late, is void.
    p.m.OnHeartbeat(kB, Hb(1, {Accusation{kX, 5}}, 0x0a000003), p.clock.Now());
    p.m.CheckAccusations(p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kAlive);
  }
  SECTION("news of life") {
    Pool p;
    p.clock.Advance(milliseconds(200));
    p.m.OnHeartbeat(kA, Hb(1, {Accusation{kX, 5}}, 0x0a000002), p.clock.Now());
    p.m.CheckAccusations(p.clock.Now());
    p.clock.Advance(milliseconds(100));
    // A peer heard from X 150 ms ago: before the accusation, no answer.
    p.m.OnLiveness(kX, 150, p.clock.Now());
    p.m.CheckAccusations(p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kSuspect);
    // 50 ms ago: after it.
    p.m.OnLiveness(kX, 50, p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kAlive);
    p.clock.Advance(p.m.accusation_timeout());
    p.m.CheckAccusations(p.clock.Now());
    REQUIRE(p.StateOf(kX) == MemberState::kAlive);
    REQUIRE(p.events.Count(MemberEvent::Kind::kFailed, kX) == 0);
  }
  SECTION("withdrawn") {
    Pool p;
    p.m.OnHeartbeat(kA, Hb(1, {Accusation{kX, 5}}, 0x0a000002), p.clock.Now());
    p.m.CheckAccusations(p.clock.Now());
    p.m.OnHeartbeat(kA, Hb(1, {}, 0x0a000002), p.clock.Now());
    p.clock.Advance(p.m.accusation_timeout());
    p.m.CheckAccusations(p.clock.Now());
    REQUIRE(p.StateOf(kX) != MemberState::kFailed);
  }
}

TEST_CASE("a node learns it was accused, and its own accusations go in its heartbeat") {
  Pool p;
  p.m.SetOwnIncarnation(77);
  // A refuted incarnation, and one nobody can know: neither counts.
  p.m.OnHeartbeat(kA, Hb(1, {Accusation{kSelf, 76}}, 0x0a000002), p.clock.Now());
  p.m.OnHeartbeat(kA, Hb(1, {Accusation{kSelf, ~uint64_t{0}}}, 0x0a000002), p.clock.Now());
  REQUIRE_FALSE(p.m.accused_self());
  p.m.OnHeartbeat(kA, Hb(1, {Accusation{kSelf, 77}}, 0x0a000002), p.clock.Now());
  REQUIRE(p.m.accused_self());
  p.m.SetOwnIncarnation(78);
  REQUIRE_FALSE(p.m.accused_self());

  const TimePoint since = p.clock.Now();  // 100 ms after the last news of X
  p.clock.Advance(milliseconds(400));
  REQUIRE(p.m.Accuse(kX, since, p.clock.Now()));
  REQUIRE(p.m.own_accusations() == std::vector{Accusation{kX, 5}});
  REQUIRE(p.events.Count(MemberEvent::Kind::kAccused, kX) == 1);
  REQUIRE_FALSE(p.m.Accuse(kX, since, p.clock.Now()));  // accused already
  // Heard from since probing began: not accused.
  REQUIRE_FALSE(p.m.Accuse(kB, p.clock.Now() - milliseconds(500), p.clock.Now()));
  // X refutes: the accusation is dropped from this node's heartbeat.
  p.m.OnHeartbeat(kX, Hb(6, {}, 0x0a000004), p.clock.Now());
  p.m.CheckAccusations(p.clock.Now());
  REQUIRE(p.m.own_accusations().empty());
}

TEST_CASE("accusations are used only where they convict before silence does") {
  Pool p;  // 4 nodes: silence convicts in 1.2 s, probing and accusing take 1.2 s too
  REQUIRE_FALSE(p.m.AccusationsFaster());
  // One-item digests make 65 nodes a large pool: news of life about one
  // node takes 65 periods to leave any given node again.
  GossipConfig cfg;
  cfg.digest_items_min = cfg.digest_items_max = 1;
  PeerIndex index(1024);
  Membership m(kSelf, cfg, index);
  ManualClock clock;
  for (uint64_t i = 0; i < 64; ++i) m.OnHeartbeat(NodeId{100 + i}, Hb(1), clock.Now());
  REQUIRE(m.failure_timeout() > cfg.probe_timeout + m.accusation_timeout());
  REQUIRE(m.AccusationsFaster());
}

TEST_CASE("a node forgiving its own stall accuses nobody and convicts nobody") {
  Pool p;
  p.m.OnHeartbeat(kA, Hb(1, {Accusation{kX, 5}}, 0x0a000002), p.clock.Now());
  p.clock.Advance(p.m.accusation_timeout() - milliseconds(100));
  p.m.ForgiveStall(p.clock.Now());
  p.clock.Advance(milliseconds(100));
  p.m.CheckAccusations(p.clock.Now());
  REQUIRE(p.StateOf(kX) == MemberState::kAlive);
  REQUIRE_FALSE(p.m.Accuse(kB, p.clock.Now() - milliseconds(1), p.clock.Now()));
}

namespace {
// A prober over Pool's three peers, ticked by hand every 20 ms.
struct Probing {
  Pool p;
  Random random;
  Prober prober;
  std::vector<Endpoint> probe;
  std::vector<Prober::Unanswered> unanswered;
  Probing(uint64_t seed, Duration interval) : random(seed), prober(interval, milliseconds(400)) {}
  // Advances `advance`, then ticks with fresh output lists.
  void Tick(Duration advance = milliseconds(20)) {
    p.clock.Advance(advance);
    probe.clear();
    unanswered.clear();
    prober.Tick(p.clock.Now(), p.m, random, probe, unanswered);
  }
  size_t Probed(NodeId id) const { return std::count(probe.begin(), probe.end(), p.m.Find(id)->endpoint); }
};
}  // namespace

TEST_CASE("the prober probes a random peer every tick until it answers, and reports one that never does") {
  Probing t(3, milliseconds(200));
  t.Tick(Duration::zero());
  REQUIRE(t.probe.size() == 1);
  REQUIRE(t.prober.probing() == 1);
  // Which peer: the one at that address.
  NodeId first;
  t.p.m.ForEach([&](NodeId id, const Member& m) {
    if (m.endpoint == t.probe[0]) first = id;
  });
  REQUIRE(first.valid());
  // Probed again each tick while it does not answer.
  for (int tick = 1; tick < 19; ++tick) {
    t.Tick();
    REQUIRE(t.Probed(first) == 1);
    REQUIRE(t.unanswered.empty());
  }
  // Any packet from it ends the probing.
  t.prober.OnDirect(first);
  t.Tick();
  REQUIRE(t.Probed(first) == 0);

  // A peer that stays silent is reported once, after the timeout, with
  // the moment probing began.
  size_t reports = 0;
  for (int tick = 0; tick < 200; ++tick) {
    t.Tick();
    for (const auto& u : t.unanswered) {
      REQUIRE(t.p.clock.Now() - u.since >= milliseconds(400));
      REQUIRE(t.p.clock.Now() - u.since < milliseconds(420));
      ++reports;
    }
  }
  // 4 s, a draw about every 200 ms, 3 peers, nobody answering.
  REQUIRE(reports >= 10);
  REQUIRE(reports <= 30);
}

TEST_CASE("after a stall the prober gives its peers the whole timeout again") {
  Probing t(5, milliseconds(200));
  t.Tick(Duration::zero());
  REQUIRE(t.prober.probing() == 1);
  t.p.clock.Advance(milliseconds(2000));  // stalled
  t.prober.Restart(t.p.clock.Now());
  t.Tick();
  REQUIRE(t.unanswered.empty());
  REQUIRE(t.prober.probing() >= 1);
}

TEST_CASE("probing off probes nobody") {
  Probing t(5, Duration::zero());
  for (int tick = 0; tick < 100; ++tick) {
    t.Tick();
    REQUIRE(t.probe.empty());
    REQUIRE(t.unanswered.empty());
  }
}

TEST_CASE("in a large pool an accusation stands long enough for the refutation to come back, and silence suspects late") {
  GossipConfig cfg;
  PeerIndex index(2048);
  Membership m(kSelf, cfg, index);
  ManualClock clock;
  for (uint64_t i = 0; i < 1023; ++i) m.OnHeartbeat(NodeId{100 + i}, Hb(1), clock.Now());
  // Two waves there and back, twice over for loss: more than the floor
  // (in hops and periods of the exchange at fan-out 3 with the same rate).
  const GossipConfig timing = cfg.AtTimingFanout();
  const Duration waves = 4 * static_cast<int>(timing.TtlFor(1024)) * timing.period;
  REQUIRE(waves > cfg.failure_timeout - cfg.probe_timeout);
  REQUIRE(m.accusation_timeout() == waves);
  REQUIRE(m.AccusationsFaster());
  // Silence suspects late there: the accusation suspects a crashed node
  // first. Not with probing off, where silence is all there is.
  REQUIRE(m.suspect_timeout() == m.failure_timeout() * 3 / 4);
  cfg.probe_interval = Duration::zero();
  PeerIndex quiet_index(2048);
  Membership quiet(kSelf, cfg, quiet_index);
  for (uint64_t i = 0; i < 1023; ++i) quiet.OnHeartbeat(NodeId{100 + i}, Hb(1), clock.Now());
  REQUIRE_FALSE(quiet.AccusationsFaster());
  REQUIRE(quiet.suspect_timeout() < quiet.failure_timeout() * 3 / 4);
}
