// History through real shoald processes on loopback: every sample recorded
// and answered pool-wide by any node; a node killed with SIGKILL keeps its
// history queryable from its replicas and, restarted, holds all of it;
// events; the report; deletion by an admin.
#include <fstream>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "daemon/key_file.h"
#include "gossip/net/tcp_streams.h"
#include "history.pb.h"
#include "test/support/pool.h"
#include "tools/ctl/history_cmd.h"

using namespace shoal;
using testing::Output;

namespace {

nlohmann::json Json(const Output& o) {
  INFO(o.text);
  REQUIRE(o.status == 0);
  return nlohmann::json::parse(o.text);
}

// Points of node `name` in a `history node` answer, and their samples.
size_t NodeSamples(const nlohmann::json& j, const std::string& name) {
  size_t n = 0;
  for (const auto& p : j.value("points", nlohmann::json::array())) {
    if (p.value("node", "") == name) n += p.value("samples", 0u);
  }
  return n;
}

}  // namespace

TEST_CASE("history through shoald: recorded, answered by any node, kept through SIGKILL by replicas, deleted by an admin") {
  const std::string tag = fmt::format("hist-{}", ::getpid());
  testing::Child gold = testing::Spawn({SHOAL_BURN_BINARY, tag + "-gold", "--duty", "20"});
  testing::TestPool pool;
  for (size_t i = 0; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  const std::string policy = pool.dir().Write("policy.xml", fmt::format(R"(<shoal-policy version="1" mode="monitor">
  <application name="gold"><process cmdline="*shoal-demo-burn {}-gold*"/></application>
  <policy application="gold" priority="1"><cpu pool-percent="50%"/></policy>
</shoal-policy>
)", tag));
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }, 50).status == 0);

  // Every node records its own figures each second; node 1 answers for all three.
  const int64_t start = WallClockMs() - 5000;
  const std::string since = fmt::format("--from {} --step 1h --json", ctl::FormatTime(start).replace(10, 1, "T"));
  Output nodes = pool.CtlUntil("history node " + since, 1, [](const Output& o) {
    if (o.status != 0) return false;
    auto j = nlohmann::json::parse(o.text);
    return NodeSamples(j, "node-0") >= 4 && NodeSamples(j, "node-1") >= 4 && NodeSamples(j, "node-2") >= 4;
  });
  auto nj = Json(nodes);
  REQUIRE(NodeSamples(nj, "node-2") >= 4);
  // The application, detected on every node (they share this machine's /proc).
  Output app = pool.CtlUntil("history app gold " + since, 1, [](const Output& o) {
    return o.status == 0 && nlohmann::json::parse(o.text).value("points", nlohmann::json::array()).size() == 1 &&
           nlohmann::json::parse(o.text)["points"][0].value("nodes", 0) == 3;
  });
  auto aj = Json(app);
  REQUIRE(aj["points"].size() == 1);
  REQUIRE(aj["points"][0]["series"] == "gold");
  REQUIRE(aj["points"][0]["nodes"] == 3);
  REQUIRE(aj["points"][0]["usage_m"].get<double>() > 50);  // three views of a 20% duty cycle

  // SIGKILL node 2: node 0 answers for it from a replica.
  const size_t before_kill = NodeSamples(Json(pool.Ctl("history node node-2 " + since, 2)), "node-2");
  pool.node(2).process.Kill();
  Output dead = pool.CtlUntil("history node node-2 " + since, 0, [](const Output& o) {
    return o.status == 0 && o.text.find("node-2 from") != std::string::npos;
  });
  auto dj = Json(dead);
  INFO(dead.text);
  REQUIRE(NodeSamples(dj, "node-2") + 1 >= before_kill);  // at most the batch in flight
  Output events = pool.CtlUntil("history events node.failed --since 5m --json", 1, [](const Output& o) {
    return o.status == 0 && !nlohmann::json::parse(o.text).value("events", nlohmann::json::array()).empty();
  });
  auto ej = Json(events);
  REQUIRE(ej["events"].size() >= 1);
  REQUIRE(ej["events"].size() == 1);  // raised once for the pool
  REQUIRE(ej["events"][0]["kind"] == "node.failed");
  REQUIRE(ej["events"][0]["subject"] == "node-2");
  REQUIRE_THAT(pool.Ctl("history events policy.activated --since 5m", 1).text, Catch::Contains("policy.activated"));

  // Restarted, node 2 holds everything it had acknowledged before the kill.
  pool.Start(2, {"--enforcer", "off"});
  Output back = pool.CtlUntil("history node node-2 " + since, 2, [&](const Output& o) {
    return o.status == 0 && NodeSamples(nlohmann::json::parse(o.text), "node-2") > before_kill;
  });
  REQUIRE(NodeSamples(Json(back), "node-2") > before_kill);

  Output report = pool.Ctl("report --since 5m", 0);
  INFO(report.text);
  REQUIRE(report.status == 0);
  REQUIRE_THAT(report.text, Catch::Contains("pool\n") && Catch::Contains("gold\n") && Catch::Contains("headroom") &&
                                Catch::Contains("utilization") && Catch::Contains("burst ") &&
                                Catch::Contains("  node-2 "));
  // The same as JSON with the operator's thresholds: every node, and gold's
  // figures (a 20% duty cycle on a machine all three nodes see).
  Output rj = pool.Ctl("report --since 5m --squeezed-above 10% --idle-below 1% -o json", 1);
  INFO(rj.text);
  auto rjj = Json(rj);
  REQUIRE(rjj["idle_below"] == 0.01);
  REQUIRE(rjj["nodes"].size() == 3);
  REQUIRE(rjj["pool"]["capacity_m"].get<double>() > 0);
  REQUIRE(rjj["applications"][0]["name"] == "gold");
  REQUIRE(rjj["applications"][0]["used_m"].get<double>() > 50);
  REQUIRE(rjj["applications"][0]["idle"] == 0);
  REQUIRE(pool.Ctl("report --since 5m --idle-below much", 1).status == 1);

  // Export: CSV files of points and events.
  const std::string csv = pool.dir().File("history.csv"), events_csv = pool.dir().File("events.csv");
  Output exported = pool.Ctl(fmt::format("history export --since 5m --csv {} --events-csv {}", csv, events_csv), 1);
  INFO(exported.text);
  REQUIRE(exported.status == 0);
  std::ifstream in(csv);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_THAT(text, Catch::StartsWith("time,step_s,kind,series,node,") && Catch::Contains(",app,gold,node-0,") &&
                         Catch::Contains(",node,,node-2,"));
  REQUIRE(pool.Ctl("history export --since 5m", 1).status == 1);  // nowhere to write

  // Deleting needs an admin token; it is logged as an event.
  const int64_t cut = WallClockMs() / 1000 * 1000;
  const std::string cut_text = ctl::FormatTime(cut).replace(10, 1, "T");
  Output read_only = testing::RunCommand(
      fmt::format("{} history delete --app gold --before {} --node 127.0.0.1:{} --token {} --admin-key {}",
                  SHOALCTL_BINARY, cut_text, pool.node(0).control, pool.read_token(), pool.admin_key()));
  REQUIRE(read_only.status == 1);
  REQUIRE_THAT(read_only.text, Catch::Contains("needs an admin token"));
  // Without the admin's key shoalctl cannot sign, and says how to get one.
  Output unsigned_delete = testing::RunCommand(
      fmt::format("{} history delete --app gold --before {} --node 127.0.0.1:{} --token {} --admin-key /nonexistent",
                  SHOALCTL_BINARY, cut_text, pool.node(0).control, pool.admin_token()));
  REQUIRE(unsigned_delete.status == 1);
  REQUIRE_THAT(unsigned_delete.text, Catch::Contains("--generate-admin-key"));
  // A holder of the pool key alone, speaking to a node's history service
  // over the peer streams as a member would: refused, nothing deleted.
  {
    boost::asio::io_context io;
    auto ring = daemon::LoadKeyFile(pool.key());
    REQUIRE(ring.ok());
    auto member = gossip::TcpStreams::Open(io, Endpoint{0x7f000001, 0}, *ring, NodeId{4242});
    REQUIRE(member.ok());
    store::wire::Request forged;
    forged.mutable_delete_()->set_app("gold");
    std::optional<Result<std::string>> out;
    (*member)->Call(Endpoint{0x7f000001, pool.node(1).port}, gossip::StreamService::kHistory, forged.SerializeAsString(),
                    std::chrono::seconds(5), [&](Result<std::string> r) { out = std::move(r); });
    while (!out) io.run_one_for(std::chrono::milliseconds(100));
    REQUIRE_FALSE(out->ok());
    REQUIRE_THAT(out->error().message, Catch::Contains("not signed by an admin key"));
  }
  Output deleted = pool.Ctl("history delete --app gold --before " + cut_text, 0);
  INFO(deleted.text);
  REQUIRE(deleted.status == 0);
  REQUIRE_THAT(deleted.text, Catch::Contains("on 3 node(s)"));
  auto gone = Json(pool.Ctl(fmt::format("history app gold --from {} --to {} --json",
                                        ctl::FormatTime(start).replace(10, 1, "T"), cut_text), 1));
  REQUIRE(gone.value("points", nlohmann::json::array()).empty());
  REQUIRE_THAT(pool.CtlUntil("history events history.deleted --since 5m", 1, [](const Output& o) {
                 return o.text.find("deleted") != std::string::npos && o.text.find("no events") == std::string::npos;
               }).text,
               Catch::Contains("at the request of"));

  // Archive: every node moves what is older than the cut into a file; a
  // file mounted on node 0 answers --archive questions asked of node 1.
  const int64_t cut2 = WallClockMs() / 1000 * 1000;
  const std::string cut2_text = ctl::FormatTime(cut2).replace(10, 1, "T");
  Output archived = pool.Ctl("history archive --before " + cut2_text, 0);
  INFO(archived.text);
  REQUIRE(archived.status == 0);
  const size_t at = archived.text.find("node-0: ");
  REQUIRE(at != std::string::npos);
  const size_t path_at = at + 8, path_end = archived.text.find(" (", path_at);
  const std::string file = archived.text.substr(path_at, path_end - path_at);
  REQUIRE_THAT(file, Catch::EndsWith(".sst"));
  const std::string window = fmt::format("--from {} --to {} --step 1h --json", ctl::FormatTime(start).replace(10, 1, "T"), cut2_text);
  REQUIRE(NodeSamples(Json(pool.Ctl("history node " + window, 1)), "node-1") == 0);  // moved out
  REQUIRE(pool.Ctl("history mount " + file, 0).status == 0);
  auto from_archive = Json(pool.Ctl("history node --archive " + window, 1));
  REQUIRE(NodeSamples(from_archive, "node-0") > 4);
  REQUIRE(NodeSamples(from_archive, "node-1") > 4);
  REQUIRE_THAT(pool.Ctl("history mount /nonexistent.sst", 0).text, Catch::Contains("/nonexistent.sst"));
}
