// shoald's HTTP endpoint with real processes: /health, /metrics checked by
// promtool (Prometheus' own checker), the pool's figures in it, a token
// when required, bad requests refused, and a real Prometheus server
// scraping a pool. Ends only what it started.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "test/support/pool.h"
#include "test/support/process.h"

using namespace shoal;
using shoal::testing::FreePort;
using shoal::testing::Output;
using shoal::testing::RunCommand;
using shoal::testing::TestPool;

namespace {

Output Curl(uint16_t port, const std::string& path, const std::string& extra = "") {
  return RunCommand(fmt::format("curl -s -S -m 5 -w '\\n%{{http_code}}' {} http://127.0.0.1:{}{}", extra, port, path));
}

// Polls until `done(body)` (at most 10 s).
template <typename Done>
Output CurlUntil(uint16_t port, const std::string& path, Done done) {
  Output out;
  for (int i = 0; i < 100; ++i) {
    out = Curl(port, path);
    if (done(out.text)) break;
    ::usleep(100'000);
  }
  return out;
}

}  // namespace

TEST_CASE("shoald serves /health and Prometheus /metrics that promtool accepts, with the pool's figures") {
  REQUIRE(std::filesystem::exists("/usr/bin/promtool"));  // scripts/setup.sh installs prometheus
  TestPool pool;
  const uint16_t http = FreePort();
  pool.Start(0, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http)});
  pool.Start(1, {"--enforcer", "off"});
  REQUIRE(CurlUntil(http, "/health", [](const std::string& t) { return t == "ok\n\n200"; }).text == "ok\n\n200");
  // small.xml with a pipe gold books a part of.
  const std::string policy = pool.dir().File("piped.xml");
  std::ofstream(policy) << "<shoal-policy mode=\"enforce\">\n<pipe name=\"uplink\" out=\"100MB\"/>\n"
                           "<application name=\"gold\"><process cmdline=\"*shoal-demo-burn gold*\"/></application>\n"
                           "<policy application=\"gold\" priority=\"1\"><cpu pool-percent=\"75%\"/>"
                           "<bandwidth pipe=\"uplink\" direction=\"out\" rate=\"20MB\"/></policy>\n</shoal-policy>\n";
  REQUIRE(pool.CtlUntil("policy push " + policy, 0, [](const Output& o) { return o.status == 0; }).status == 0);
  Output m = CurlUntil(http, "/metrics", [](const std::string& t) {
    return t.find("shoal_members{state=\"alive\"} 2") != std::string::npos &&
           t.find("shoal_app_allocated_cores{app=\"gold\"}") != std::string::npos;
  });
  CHECK_THAT(m.text, Catch::Contains("shoal_members{state=\"alive\"} 2") &&
                         Catch::Contains("shoal_build_info{version=\"0.1.0\"") &&
                         Catch::Contains("shoal_gossip_packets_dropped_total{reason=\"forged\"}") &&
                         Catch::Contains("shoal_app_booked_cores{app=\"gold\"}") &&
                         Catch::Contains("shoal_pool_capacity_cores ") &&
                         Catch::Contains("shoal_node_capacity_cores{node=\"node-1\"}") &&
                         Catch::Contains("shoal_node_status_age_seconds{node=\"node-0\"}") &&
                         Catch::Contains("shoal_control_requests_total ") &&
                         Catch::Contains("shoal_pipe_capacity_bytes_per_second{pipe=\"uplink\",direction=\"out\"} 100000000") &&
                         Catch::Contains("shoal_pipe_app_booked_bytes_per_second{pipe=\"uplink\",direction=\"out\",app=\"gold\"} 20000000") &&
                         Catch::Contains("shoal_pipe_app_used_bytes_per_second{pipe=\"uplink\",direction=\"out\",app=\"gold\"}") &&
                         Catch::Contains("shoal_store_rows_written_total ") &&
                         Catch::Contains("shoal_stream_connections_retired_total ") &&
                         Catch::Contains("shoal_policy_fetch_failures_total{reason=\"holder_gone\"}") &&
                         Catch::Contains("shoal_policy_activations_total ") &&
                         Catch::Contains("shoal_rollup_zones_held ") &&
                         Catch::Contains("shoal_rollup_parts_sent_total ") &&
                         Catch::Contains("shoal_levels_heard_total ") &&
                         Catch::Contains("shoal_daemon_memory_bytes{part=\"resident_anonymous\"}") &&
                         Catch::Contains("shoal_daemon_memory_bytes{part=\"memtables\"}"));
  const std::string body = m.text.substr(0, m.text.rfind('\n') + 1);
  const std::string file = pool.dir().File("metrics.txt");
  std::ofstream(file) << body;
  Output check = RunCommand("promtool check metrics < " + file);
  INFO(check.text);
  CHECK(check.status == 0);
  CHECK(check.text.empty());  // no lint warnings either

  CHECK_THAT(Curl(http, "/nowhere").text, Catch::EndsWith("404"));
  CHECK_THAT(Curl(http, "/metrics", "-X POST").text, Catch::EndsWith("405"));
  // Headers over 8 KiB: refused, and the daemon still answers.
  CHECK_THAT(Curl(http, "/metrics", "-H 'X-Junk: " + std::string(9000, 'a') + "'").text, !Catch::EndsWith("200"));
  CHECK_THAT(Curl(http, "/health").text, Catch::EndsWith("200"));
}

TEST_CASE("shoald /metrics with require_token wants a read token, /health does not") {
  TestPool pool;
  const uint16_t http = FreePort();
  pool.SetConfig(pool.dir().Write("http.toml", "[http]\nrequire_token = true\n"));
  pool.Start(0, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http)});
  REQUIRE(CurlUntil(http, "/health", [](const std::string& t) { return t == "ok\n\n200"; }).text == "ok\n\n200");
  CHECK_THAT(Curl(http, "/metrics").text, Catch::EndsWith("401"));
  CHECK_THAT(Curl(http, "/metrics", "-H 'Authorization: Bearer " + std::string(64, 'a') + "'").text,
             Catch::EndsWith("401"));
  CHECK_THAT(Curl(http, "/metrics", "-H 'Authorization: Bearer " + pool.read_token() + "'").text,
             Catch::EndsWith("200") && Catch::Contains("shoal_members"));
}

TEST_CASE("a real Prometheus server scrapes a pool of three daemons and answers a query about it") {
  REQUIRE(std::filesystem::exists("/usr/bin/prometheus"));  // scripts/setup.sh installs it
  TestPool pool;
  std::vector<uint16_t> http;
  for (size_t i = 0; i < 3; ++i) {
    http.push_back(FreePort());
    pool.Start(i, {"--enforcer", "off", "--http", fmt::format("127.0.0.1:{}", http[i])});
  }
  std::string targets;
  for (uint16_t p : http) targets += fmt::format("{}'127.0.0.1:{}'", targets.empty() ? "" : ", ", p);
  const std::string config = pool.dir().Write(
      "prometheus.yml", fmt::format("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: shoal\n"
                                    "    static_configs:\n      - targets: [{}]\n",
                                    targets));
  const uint16_t web = FreePort();
  auto prometheus = testing::Spawn({"/usr/bin/prometheus", "--config.file=" + config,
                                    "--storage.tsdb.path=" + pool.dir().File("tsdb"),
                                    fmt::format("--web.listen-address=127.0.0.1:{}", web)},
                                   "", testing::SpawnOptions{{}, pool.dir().File("prometheus.log")});
  // Every daemon up and seeing the three members, as Prometheus stored it.
  const std::string query = fmt::format(
      "curl -s -m 5 'http://127.0.0.1:{}/api/v1/query' --data-urlencode 'query=count(shoal_members{{state=\"alive\"}} == 3)'",
      web);
  std::string answer;
  for (int i = 0; i < 300; ++i) {
    answer = RunCommand(query).text;
    if (answer.find("\"value\":[") != std::string::npos && answer.find("\"3\"]") != std::string::npos) break;
    ::usleep(100'000);
  }
  INFO(answer);
  CHECK_THAT(answer, Catch::Contains("\"status\":\"success\"") && Catch::Contains("\"3\"]"));
  const std::string up = RunCommand(fmt::format(
      "curl -s -m 5 'http://127.0.0.1:{}/api/v1/query' --data-urlencode 'query=sum(up{{job=\"shoal\"}})'", web)).text;
  CHECK_THAT(up, Catch::Contains("\"3\"]"));
}
