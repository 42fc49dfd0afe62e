// Routed streams (tools/emu/routed_streams.h): emulated peers call each
// other in process, the real daemon over TCP, with the same handlers.
#include <optional>

#include <catch2/catch.hpp>

#include "test/gossip/tcp_pair.h"
#include "tools/emu/routed_streams.h"

using namespace shoal;
using namespace shoal::gossip;
using namespace shoal::gossip::testing;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<emu::RoutedStreams> Routed(asio::io_context& io, emu::LocalRoutes& routes, const Keyring& ring,
                                           NodeId id) {
  auto tcp = TcpStreams::Open(io, kLoopback, ring, id);
  REQUIRE(tcp.ok());
  const Endpoint at = (*tcp)->local_endpoint();
  return std::make_unique<emu::RoutedStreams>(io, routes, StreamPeer{at, id}, std::move(*tcp));
}

Result<std::string> CallAndWait(asio::io_context& io, PeerStreams& from, const Endpoint& to, StreamService service,
                                std::string request, Duration timeout = 5s) {
  std::optional<Result<std::string>> out;
  from.Call(to, service, std::move(request), timeout, [&](Result<std::string> r) { out = std::move(r); });
  RunUntil(io, [&] { return out.has_value(); });
  REQUIRE(out.has_value());
  return std::move(*out);
}

}  // namespace

TEST_CASE("Routed streams: peers call each other in process, the real daemon over TCP, with the same handlers") {
  asio::io_context io;
  const Keyring ring = RingOf(FixedKey(3));
  emu::LocalRoutes routes;
  auto a = Routed(io, routes, ring, NodeId{1});
  auto b = Routed(io, routes, ring, NodeId{2});
  auto real = TcpStreams::Open(io, kLoopback, ring, NodeId{9});
  REQUIRE(real.ok());
  std::vector<NodeId> callers;
  auto echo = [&](const StreamPeer& from, std::string request, PeerStreams::Respond respond) {
    callers.push_back(from.id);
    respond("echo " + request);
  };
  b->Serve(StreamService::kEcho, echo);
  (*real)->Serve(StreamService::kEcho, echo);
  const Endpoint at_b = b->tcp().local_endpoint();

  // a -> b in process, answered later, not inside the call; no socket
  // opened; b's handler sees a's id.
  std::optional<Result<std::string>> first;
  a->Call(at_b, StreamService::kEcho, "x", 5s, [&](Result<std::string> r) { first = std::move(r); });
  CHECK(callers.empty());
  RunUntil(io, [&] { return first.has_value(); });
  REQUIRE(first.has_value());
  CHECK(first->value() == "echo x");
  CHECK(a->Connected(at_b));
  CHECK(a->tcp().open_connections() == 0);
  CHECK(b->tcp().open_connections() == 0);
  CHECK(a->counters().calls == 1);
  CHECK(b->counters().served == 1);
  // a -> the real daemon over TCP, and the real daemon -> b over TCP.
  CHECK(CallAndWait(io, *a, (*real)->local_endpoint(), StreamService::kEcho, "y").value() == "echo y");
  CHECK(a->tcp().open_connections() == 1);
  CHECK(CallAndWait(io, **real, at_b, StreamService::kEcho, "z").value() == "echo z");
  CHECK(b->counters().served == 2);
  CHECK(b->counters().bytes_received > 0);
  CHECK(callers == std::vector<NodeId>{NodeId{1}, NodeId{1}, NodeId{9}});

  // Errors as over TCP: no such service; a handler's error names the peer;
  // no answer in time; a request over the limit.
  auto none = CallAndWait(io, *b, a->tcp().local_endpoint(), StreamService::kEcho, "q");
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.error().message, Catch::Contains("no service"));
  std::vector<PeerStreams::Respond> parked;
  b->Serve(StreamService::kPolicyFetch, [&](const StreamPeer&, std::string request, PeerStreams::Respond r) {
    if (request == "fail") return r(MakeError("no such policy"));
    parked.push_back(std::move(r));
  });
  auto failed = CallAndWait(io, *a, at_b, StreamService::kPolicyFetch, "fail");
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains(at_b.ToString()) && Catch::Contains("no such policy"));
  auto late = CallAndWait(io, *a, at_b, StreamService::kPolicyFetch, "wait", 50ms);
  REQUIRE_FALSE(late.ok());
  CHECK_THAT(late.error().message, Catch::Contains("no answer within 50 ms"));
  REQUIRE(parked.size() == 1);
  parked.front()(std::string("too late"));  // answered once only: dropped
  io.run_for(20ms);
  auto huge = CallAndWait(io, *a, at_b, StreamService::kEcho, std::string(kMaxStreamMessage + 1, 'h'));
  REQUIRE_FALSE(huge.ok());
  CHECK_THAT(huge.error().message, Catch::Contains("over the"));
  CHECK(a->counters().call_failures == 3);

  // A peer gone: its address routes over TCP again (and fails to connect).
  const Endpoint gone = at_b;
  b.reset();
  CHECK_FALSE(a->Connected(gone));
  CHECK_FALSE(CallAndWait(io, *a, gone, StreamService::kEcho, "?").ok());
}
