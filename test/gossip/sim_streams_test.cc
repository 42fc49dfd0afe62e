// The simulated peer streams on virtual time, and fan-outs of calls over
// them (gossip/sim/sim_streams.h, gossip/fan_out.h).
#include <map>
#include <optional>
#include <vector>

#include <google/protobuf/wrappers.pb.h>

#include <catch2/catch.hpp>

#include "gossip/fan_out.h"
#include "gossip/sim/sim_streams.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace std::chrono_literals;

namespace {

// A simulated network whose links take 10 ms, without jitter.
struct Lan {
  ManualClock clock;
  SimNetwork net{clock, 1};
  Lan() {
    LinkModel link;
    link.latency = 10ms;
    link.jitter = Duration::zero();
    net.SetDefaultLink(link);
  }
};

}  // namespace

TEST_CASE("Simulated streams: delays follow the link, partitions and crashes time out") {
  Lan lan;
  ManualClock& clock = lan.clock;
  SimNetwork& net = lan.net;
  SimTransport& a = net.AddNode();
  SimTransport& b = net.AddNode();
  SimStreamHub hub(net, 1e6);  // 1 MB/s
  SimStreams& sa = hub.Attach(a.local_endpoint(), NodeId{1});
  SimStreams& sb = hub.Attach(b.local_endpoint(), NodeId{2});
  NodeId caller;
  sb.Serve(StreamService::kEcho, [&](const StreamPeer& from, std::string req, PeerStreams::Respond r) {
    caller = from.id;
    r(std::move(req));
  });

  std::optional<Result<std::string>> out;
  TimePoint answered;
  auto call = [&](std::string req, StreamService service = StreamService::kEcho) {
    out.reset();
    sa.Call(b.local_endpoint(), service, std::move(req), 1s, [&](Result<std::string> r) {
      out = std::move(r);
      answered = clock.Now();
    });
  };
  TimePoint start = clock.Now();
  call(std::string(100'000, 'q'));  // 100 ms each way at 1 MB/s, plus 10 ms latency
  net.RunUntil(start + 2s);
  REQUIRE(out.has_value());
  REQUIRE(out->ok());
  REQUIRE((*out)->size() == 100'000);
  REQUIRE(caller == NodeId{1});
  REQUIRE(answered - start == 220ms);

  call("x", StreamService::kHistory);
  net.RunUntil(clock.Now() + 2s);
  REQUIRE_THAT(out->error().message, Catch::Contains("no service 3 here"));

  net.SetGroup(b.local_endpoint(), 1);
  start = clock.Now();
  call("cut");
  net.RunUntil(start + 2s);
  REQUIRE_THAT(out->error().message, Catch::Contains("no answer within 1000 ms"));
  REQUIRE(answered - start == 1s);
  net.Heal();

  net.SetDown(b.local_endpoint(), true);
  call("down");
  net.RunUntil(clock.Now() + 2s);
  REQUIRE_FALSE(out->ok());
  net.SetDown(b.local_endpoint(), false);

  // A stalled receiver answers once it resumes (within the timeout).
  net.StallUntil(b.local_endpoint(), clock.Now() + 300ms);
  start = clock.Now();
  call("slow");
  net.RunUntil(start + 2s);
  REQUIRE(out->ok());
  REQUIRE(answered - start >= 300ms);
  REQUIRE(sa.counters().calls == 5);
  REQUIRE(sa.counters().call_failures == 3);
  REQUIRE(sb.counters().served == 3);
}

TEST_CASE("Fan-out: at most max_in_flight calls at once, every answer and error seen, after() once") {
  Lan lan;
  ManualClock& clock = lan.clock;
  SimNetwork& net = lan.net;
  SimStreamHub hub(net, 1e9);
  SimTransport& asker = net.AddNode();
  SimStreams& streams = hub.Attach(asker.local_endpoint(), NodeId{1});
  std::vector<std::pair<FanOutMember, google::protobuf::StringValue>> calls;
  google::protobuf::StringValue q;
  q.set_value("who");
  calls.push_back({{NodeId{1}, asker.local_endpoint()}, q});  // itself: answered locally
  std::vector<TimePoint> arrivals;
  for (uint64_t i = 2; i <= 10; ++i) {
    SimTransport& t = net.AddNode();
    SimStreams& s = hub.Attach(t.local_endpoint(), NodeId{i});
    s.Serve(StreamService::kEcho, [&, i](const StreamPeer&, std::string req, PeerStreams::Respond r) {
      arrivals.push_back(clock.Now());
      google::protobuf::StringValue v;
      REQUIRE(v.ParseFromString(req));
      v.set_value(v.value() + std::to_string(i));
      r(v.SerializeAsString());
    });
    calls.push_back({{NodeId{i}, t.local_endpoint()}, q});
  }
  SimTransport& down = net.AddNode();
  net.SetDown(down.local_endpoint(), true);
  calls.push_back({{NodeId{99}, down.local_endpoint()}, q});

  std::map<NodeId, std::string> answers;
  std::vector<NodeId> failed;
  int after = 0;
  const TimePoint start = clock.Now();
  FanOutCalls<google::protobuf::StringValue, google::protobuf::StringValue> f{
      std::move(calls),
      [](const google::protobuf::StringValue& r) -> Result<google::protobuf::StringValue> { return r; },
      [&](NodeId id, Result<google::protobuf::StringValue> r) {
        if (r.ok()) answers[id] = r->value();
        else failed.push_back(id);
      },
      [&] { ++after; }};
  f.max_in_flight = 3;
  std::move(f).Start(streams, NodeId{1}, StreamService::kEcho, 500ms);
  net.RunUntil(start + 2s);
  CHECK(after == 1);
  REQUIRE(answers.size() == 10);
  CHECK(answers[NodeId{1}] == "who");
  CHECK(answers[NodeId{7}] == "who7");
  CHECK(failed == std::vector<NodeId>{NodeId{99}});
  // Itself at once, then three calls at a time, the next ones as answers
  // come back (20 ms a round trip).
  REQUIRE(arrivals.size() == 9);
  auto ms = [&](size_t k) { return std::chrono::duration_cast<std::chrono::milliseconds>(arrivals[k] - start).count(); };
  for (size_t k = 0; k < 9; ++k) {
    INFO(k);
    CHECK(ms(k) == 10 + 20 * static_cast<int64_t>(k / 3));
  }
}
