// Fuzzes the control API's answers with the real handler: any bytes parsed
// as a control request (daemon/control/control.proto) go to the ControlApi
// of node 0 of a whole-node simulated pool (tools/sim/full_pool.h: four
// node engines with a policy and history, on virtual time), as from an
// admin. The answer must come exactly once (after any progress), within
// the handlers' peer timeouts, and serialize; the node must keep its pool. (The control
// server's framing, tokens and sealing in front of it are fuzz_stream's.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "daemon/control_api.h"
#include "tools/sim/full_pool.h"

namespace {

using namespace std::chrono_literals;

constexpr const char* kPolicy = R"(<shoal-policy version="1" mode="enforce">
  <application name="gold"><process cmdline="gold"/></application>
  <application name="bronze"><process cmdline="bronze"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="50%"/></policy>
  <policy application="bronze" priority="2"><cpu pool-percent="25%"/></policy>
</shoal-policy>)";
constexpr size_t kNodes = 4;

shoal::sim::FullPoolOptions Options() {
  shoal::sim::FullPoolOptions o;
  o.pool.nodes = kNodes;
  o.pool.seed = 5;
  o.pool.config = shoal::gossip::GossipConfig::Lan();
  o.history = true;
  o.workload = [](size_t i, shoal::sim::SimMachine& m) {
    m.Run("bronze", [](shoal::TimePoint) { return 3000.0; });
    if (i % 2 == 0) m.Run("gold", [](shoal::TimePoint) { return 2000.0; });
  };
  return o;
}

struct Fixture {
  shoal::sim::FullPool pool{Options()};
  shoal::daemon::DaemonConfig config;
  std::unique_ptr<shoal::daemon::ControlApi> api;

  Fixture() {
    pool.StartFormed();
    pool.RunFor(3s);
    if (!pool.Push(1, kPolicy).ok()) std::abort();
    pool.RunFor(5s);
    config.node_name = "node-0";
    api = std::make_unique<shoal::daemon::ControlApi>(shoal::daemon::ControlContext{
        config, pool.engine(0), &pool.detail(0), pool.pool().node(0), pool.pool().streams(0), nullptr,
        pool.history(0), nullptr, nullptr, pool.wall(), nullptr});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  static Fixture f;
  daemon::control::Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Progress (a history question's) may come first; then one answer, and
  // nothing after it.
  struct Replies {
    int answers = 0;
    bool late = false;
  };
  auto replies = std::make_shared<Replies>();
  f.api->Handle(request, daemon::Role::kAdmin, [replies](daemon::control::Response r) {
    if (replies->answers > 0) replies->late = true;
    if (!r.has_progress()) ++replies->answers;
    (void)r.SerializeAsString();
  });
  // Every handler answers within its peers' timeout (at most 5 s).
  if (!f.pool.RunUntil([&] { return replies->answers > 0; }, 8s)) std::abort();
  f.pool.RunFor(20ms);
  if (replies->answers != 1 || replies->late) {
    fprintf(stderr, "%d answers%s\n", replies->answers, replies->late ? ", a reply after the answer" : "");
    std::abort();
  }
  if (f.pool.pool().node(0).membership().live_peers().size() != kNodes - 1) {
    fprintf(stderr, "live peers %zu\n", f.pool.pool().node(0).membership().live_peers().size());
    std::abort();
  }
  return 0;
}
