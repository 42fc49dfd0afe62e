// The event sinks with real receivers: a script (environment and JSON on
// standard input), webhooks POSTing to an HTTP server the test starts
// (delivered, retried after a 500, dropped and counted when the endpoint
// is dead and the queue is full), SNMP v2c traps read by a real snmptrapd
// with SHOAL-MIB, and the [events] configuration's errors.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "daemon/config.h"
#include "daemon/control/event_format.h"
#include "daemon/events/event_config.h"
#include "daemon/events/script_sink.h"
#include "daemon/events/snmp_trap_sink.h"
#include "daemon/events/webhook_sink.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using testing::ReadAll;
using namespace std::chrono_literals;
using shoal::testing::FreePort;

namespace {

daemon::control::Event SampleEvent(uint64_t seq = 7, std::string type = "node.failed") {
  daemon::control::Event e;
  e.set_node("node-0");
  e.set_seq(seq);
  e.set_time_ms(1796369168115);
  e.set_type(std::move(type));
  e.set_severity("error");
  e.set_subject("node-3");
  e.set_text("node node-3 at 10.0.0.3:7946 failed");
  (*e.mutable_facts())["address"] = "10.0.0.3:7946";
  return e;
}

template <typename Done>
bool RunUntil(boost::asio::io_context& io, const Done& done, std::chrono::seconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(20ms);
  }
  return done();
}

testing::Child Receiver(uint16_t port, const std::string& file, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/python3", SHOAL_SOURCE_DIR "/test/support/webhook_receiver.py",
                                   std::to_string(port), file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = testing::Spawn(argv);
  for (int i = 0; i < 100 && !std::filesystem::exists(file + ".ready"); ++i) ::usleep(50'000);
  REQUIRE(std::filesystem::exists(file + ".ready"));
  return child;
}

daemon::WebhookConfig Hook(uint16_t port, int retries = 5, int queue = 1000) {
  daemon::WebhookConfig w;
  w.url = fmt::format("http://127.0.0.1:{}/shoal/events", port);
  w.retries = retries;
  w.queue = queue;
  w.timeout_ms = 3000;
  return w;
}

}  // namespace

TEST_CASE("webhook sink: events POSTed as JSON in order, a 500 retried, filters applied") {
  testing::TempDir dir;
  const uint16_t port = FreePort();
  const std::string got = dir.File("got.txt");
  auto receiver = Receiver(port, got, {"--fail", "1"});
  boost::asio::io_context io;
  auto config = Hook(port);
  config.filter.min_severity = "warning";
  daemon::WebhookSink sink(io, config);
  sink.Offer(SampleEvent(1));
  auto quiet = SampleEvent(2, "node.joined");
  quiet.set_severity("info");
  sink.Offer(quiet);  // below the filter: not sent
  sink.Offer(SampleEvent(3));
  REQUIRE(RunUntil(io, [&] { return sink.counters().delivered == 2; }));
  const auto c = sink.counters();
  // The first answer was a 500, retried after a second (under load an
  // attempt may also time out: at least one failure, nothing dropped).
  CHECK(c.failures >= 1);
  CHECK(c.dropped == 0);
  CHECK(c.queued == 0);
  const std::string text = ReadAll(got);
  CHECK_THAT(text, Catch::StartsWith("application/json {\"facts\":{\"address\":\"10.0.0.3:7946\"}") &&
                       Catch::Contains("\"seq\":1") && Catch::Contains("\"seq\":3") &&
                       !Catch::Contains("\"seq\":2") && Catch::Contains("\"time\":\"2026-12-04T"));
  CHECK(text.find("\"seq\":1") < text.find("\"seq\":3"));
}

TEST_CASE("webhook sink: a dead endpoint costs a bounded queue, drops are counted, the caller never waits") {
  boost::asio::io_context io;
  daemon::WebhookSink sink(io, Hook(FreePort(), 0, 5));  // nothing listens there
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 1; i <= 1000; ++i) sink.Offer(SampleEvent(i));
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
  CHECK(sink.counters().queued == 5);
  CHECK(sink.counters().dropped == 995);
  REQUIRE(RunUntil(io, [&] { return sink.counters().failures >= 1; }));
  CHECK(sink.counters().queued == 4);  // no retries: the first one given up
  CHECK(sink.counters().dropped == 996);
}

TEST_CASE("script sink: the event in the environment and as JSON on standard input") {
  testing::TempDir dir;
  ::chmod(dir.path.c_str(), 0777);
  const std::string out = dir.File("event.txt");
  const std::string script = dir.Write("on-event", "#!/bin/sh\necho \"$SHOAL_EVENT_TYPE $SHOAL_EVENT_SUBJECT "
                                                   "$SHOAL_FACT_ADDRESS $SHOAL_EVENT_TIME\" > " + out + "\ncat >> " + out + "\n");
  ::chmod(script.c_str(), 0755);
  boost::asio::io_context io;
  auto permit = daemon::ScriptPermit::Make(dir.path.string(), ::geteuid() == 0 ? "nobody" : ::getlogin());
  REQUIRE(permit.ok());
  daemon::ScriptRunner runner(io, *permit);
  daemon::ScriptSink sink(runner, script, {}, 5s);
  sink.Offer(SampleEvent());
  REQUIRE(RunUntil(io, [&] { return sink.counters().delivered == 1; }));
  CHECK(ReadAll(out) == "node.failed node-3 10.0.0.3:7946 2026-12-04T07:26:08.115Z\n" +
                            daemon::control::EventJson(SampleEvent()) + "\n");
}

TEST_CASE("SNMP trap sink: a real snmptrapd receives the trap and names it with SHOAL-MIB") {
  REQUIRE(std::filesystem::exists("/usr/sbin/snmptrapd"));  // scripts/setup.sh installs snmptrapd
  testing::TempDir dir;
  const uint16_t port = FreePort();
  const std::string conf = dir.Write("snmptrapd.conf", "authCommunity log shoal-test\n");
  const std::string log = dir.File("traps.log");
  testing::SpawnOptions options;
  options.output = log;
  auto trapd = testing::Spawn({"/usr/sbin/snmptrapd", "-f", "-C", "-c", conf, "-Lo", "-n", "-M",
                               "+" SHOAL_SOURCE_DIR "/daemon/events", "-m", "+SHOAL-MIB",
                               fmt::format("udp:127.0.0.1:{}", port)},
                              "", options);
  for (int i = 0; i < 100 && ReadAll(log).find("NET-SNMP version") == std::string::npos; ++i) ::usleep(50'000);
  daemon::TrapConfig config;
  config.target = fmt::format("127.0.0.1:{}", port);
  config.community = "shoal-test";
  auto sink = daemon::SnmpTrapSink::Open(config);
  REQUIRE(sink.ok());
  std::string text;
  for (int i = 0; i < 100 && text.find("shoalNodeFailed") == std::string::npos; ++i) {
    if (i % 10 == 0) (*sink)->Offer(SampleEvent(static_cast<uint64_t>(i)));  // UDP: again if it was not up yet
    ::usleep(50'000);
    text = ReadAll(log);
  }
  INFO(text);
  CHECK_THAT(text, Catch::Contains("SHOAL-MIB::shoalNodeFailed") && Catch::Contains("SHOAL-MIB::shoalEventSubject") &&
                       Catch::Contains("node-3") && Catch::Contains("2026-12-04T07:26:08.115Z"));
  CHECK((*sink)->counters().delivered >= 1);
}

TEST_CASE("[events] configuration: sinks read, every error named with its line") {
  testing::TempDir dir;
  const std::string path = dir.Write("events.toml",
                                     "[events]\n"
                                     "journal = false\n"
                                     "script_min_severity = \"loud\"\n"
                                     "[[events.webhook]]\n"
                                     "url = \"http://127.0.0.1:9000/hook\"\n"
                                     "types = [\"node.\", \"booking.unmet\"]\n"
                                     "min_severity = \"warning\"\n"
                                     "[[events.webhook]]\n"
                                     "url = \"https://example.com/\"\n"
                                     "[[events.snmp_trap]]\n"
                                     "community = \"x\"\n"
                                     "colour = 3\n");
  daemon::DaemonConfig c;
  Status s = daemon::LoadConfigFile(path, true, false, c);
  REQUIRE_FALSE(s.ok());
  const std::string m = s.error().message;
  CHECK_THAT(m, Catch::Contains(path + ":3: 'events.script_min_severity' 'loud' is not one of") &&
                    Catch::Contains(path + ":9: 'events.webhook.url'") && Catch::Contains("https is not supported") &&
                    Catch::Contains("has no target") && Catch::Contains(path + ":12: 'events.snmp_trap.colour' is not a known key"));
  REQUIRE(c.events.webhooks.size() == 1);
  CHECK(c.events.webhooks[0].filter.types == std::vector<std::string>{"node.", "booking.unmet"});
  CHECK_FALSE(c.events.journal);
  CHECK(daemon::ParseHttpUrl("http://alerts:8080").ok());
  CHECK(daemon::ParseHttpUrl("http://alerts:8080")->target == "/");
  CHECK_THAT(daemon::ParseHttpUrl("http://alerts:99999/x").error().message, Catch::Contains("port '99999'"));
}

TEST_CASE("SHOAL-MIB: snmptranslate accepts it and places the notifications") {
  // Only SHOAL-MIB: Debian ships net-snmp without the IETF MIBs its default
  // list names (they are in non-free snmp-mibs-downloader).
  const std::string mib = "-M +" SHOAL_SOURCE_DIR "/daemon/events -m SHOAL-MIB ";
  auto oid = testing::RunCommand("snmptranslate " + mib + "-On SHOAL-MIB::shoalNodeFailed 2>/dev/null");
  CHECK(oid.status == 0);
  CHECK_THAT(oid.text, Catch::EndsWith("\n.1.3.6.1.3.7946.0.3\n") || Catch::Equals(".1.3.6.1.3.7946.0.3\n"));
  auto tree = testing::RunCommand("snmptranslate " + mib + "-Tp SHOAL-MIB::shoalMIB 2>/dev/null");
  CHECK(tree.status == 0);
  CHECK_THAT(tree.text, Catch::Contains("shoalKeyRotated(21)") && Catch::Contains("shoalEventSeq(8)"));
}
