// The policy language: units, globs, the parser's checks with their
// positions, the writer's round trip, and the shipped examples against the
// parser and the XSD.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include "policy/glob.h"
#include "policy/parser.h"
#include "policy/units.h"
#include "policy/writer.h"

using namespace shoal;
using namespace shoal::policy;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Examples() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(SHOAL_SOURCE_DIR "/examples/policies")) {
    if (e.path().extension() == ".xml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// All error messages of a document, formatted, one per line.
std::string Errors(const std::string& xml) {
  ParsedPolicy p = ParsePolicy(xml);
  REQUIRE_FALSE(p.ok());
  std::string out;
  for (const auto& e : p.errors) out += FormatPolicyError(e, "doc") + "\n";
  return out;
}

std::string Doc(const std::string& body) { return "<shoal-policy version=\"1\">\n" + body + "</shoal-policy>\n"; }

}  // namespace

TEST_CASE("Policy units parse strictly and print back to the same value") {
  REQUIRE(*ParseRate("1Gbit") == 125'000'000);
  REQUIRE(*ParseRate("100MB") == 100'000'000);
  REQUIRE(*ParseRate("1500") == 1500);
  REQUIRE(*ParseRate("64kbit") == 8'000);
  REQUIRE_THAT(ParseRate("10Mbps").error().message, Catch::Contains("unknown rate unit \"Mbps\""));
  REQUIRE_FALSE(ParseRate("fast").ok());
  REQUIRE_FALSE(ParseRate("0").ok());
  for (uint64_t r : {125'000'000ull, 8'000ull, 1'500ull, 62'500'000ull, 1ull}) REQUIRE(*ParseRate(FormatRate(r)) == r);

  REQUIRE(*ParsePercent("40%") == 40);
  REQUIRE(*ParsePercent("12.5") == 12.5);
  REQUIRE_THAT(ParsePercent("140%").error().message, Catch::Contains("over 100%"));
  REQUIRE_FALSE(ParsePercent("-3%").ok());

  REQUIRE(*ParseDurationMs("1h") == 3'600'000);
  REQUIRE(*ParseDurationMs("500ms") == 500);
  REQUIRE_FALSE(ParseDurationMs("5").ok());
  REQUIRE(FormatDurationMs(90'000) == "90s");

  REQUIRE(*ParseTimeOfDay("08:30", false) == 510);
  REQUIRE(*ParseTimeOfDay("24:00", true) == 1440);
  REQUIRE_FALSE(ParseTimeOfDay("24:00", false).ok());
  REQUIRE_FALSE(ParseTimeOfDay("8:30", false).ok());
  REQUIRE_FALSE(ParseTimeOfDay("12:60", false).ok());

  REQUIRE(*ParseDays("mon-fri") == (kMon | kTue | kWed | kThu | kFri));
  REQUIRE(*ParseDays("sat,sun") == (kSat | kSun));
  REQUIRE(FormatDays(*ParseDays("mon,wed-fri,sun")) == "mon,wed-fri,sun");
  REQUIRE(FormatDays(*ParseDays("daily")) == "daily");
  REQUIRE_THAT(ParseDays("fri-mon").error().message, Catch::Contains("runs forward"));
  REQUIRE_FALSE(ParseDays("weekdays").ok());
}

TEST_CASE("Globs: classes, escapes, backtracking, and refusal of broken ones") {
  REQUIRE(GlobMatch("appd*", "appd --port 80"));
  REQUIRE(GlobMatch("*worker*", "gunicorn: worker [app]"));
  REQUIRE(GlobMatch("python3 /opt/batch/*.py", "python3 /opt/batch/nightly.py"));
  REQUIRE_FALSE(GlobMatch("python3 /opt/batch/*.py", "python3 /opt/batch/nightly.sh"));
  REQUIRE(GlobMatch("job-[0-9]?", "job-7a"));
  REQUIRE_FALSE(GlobMatch("job-[!0-9]", "job-7"));
  REQUIRE(GlobMatch("a\\*b", "a*b"));
  REQUIRE_FALSE(GlobMatch("a\\*b", "axb"));
  REQUIRE(GlobMatch("*a*b*c", "xxaxxbxxbc"));
  REQUIRE(GlobMatch("", ""));
  REQUIRE_FALSE(GlobMatch("", "x"));
  REQUIRE(CheckGlob("java -jar *[Ss]erver*.jar").ok());
  REQUIRE_THAT(CheckGlob("java [abc").error().message, Catch::Contains("never closed"));
  REQUIRE_THAT(CheckGlob("x[]").error().message, Catch::Contains("empty class"));
  REQUIRE_THAT(CheckGlob("x[z-a]").error().message, Catch::Contains("reversed range"));
  REQUIRE_THAT(CheckGlob("tail\\").error().message, Catch::Contains("lone backslash"));
}

TEST_CASE("The full example parses into every feature") {
  ParsedPolicy p = ParsePolicy(ReadFile(SHOAL_SOURCE_DIR "/examples/policies/full.xml"));
  for (const auto& e : p.errors) FAIL(FormatPolicyError(e, "full.xml"));
  const PolicyDocument& d = p.document;
  REQUIRE(d.mode == Mode::kEnforce);
  REQUIRE(d.pipes.size() == 2);
  REQUIRE(*d.FindPipe("uplink")->in == 125'000'000);
  REQUIRE(*d.FindPipe("uplink")->out == 62'500'000);
  REQUIRE(d.FindPipe("backup-link")->immediate_share == 0);
  const ApplicationSpec* web = d.FindApplication("web");
  REQUIRE(web->processes.size() == 2);
  REQUIRE(web->processes[0].children);
  REQUIRE(*web->processes[1].cmdline == "gunicorn: worker*");
  REQUIRE(web->flows[0].ports == std::make_pair<uint16_t, uint16_t>(80, 80));
  REQUIRE(d.FindApplication("db")->flows[0].address == std::make_pair<uint32_t, uint8_t>(0x0a000000, 8));
  const PolicySpec* wp = d.FindPolicy("web");
  REQUIRE(wp->cpu->kind == CpuKind::kPoolPercent);
  REQUIRE(wp->cpu->amount == 40);
  REQUIRE(*wp->cpu->cap == 70);
  REQUIRE(wp->bandwidth.size() == 2);
  REQUIRE(wp->schedule->timezone == "Europe/London");
  REQUIRE(wp->schedule->windows.size() == 2);
  REQUIRE(wp->schedule->windows[0].from_minute == 480);
  REQUIRE(wp->schedule->windows[1].days == (kSat | kSun));
  REQUIRE(wp->on_failure->shares.cpu->kind == CpuKind::kServerPercent);
  REQUIRE(d.FindPolicy("db")->cpu->kind == CpuKind::kCores);
  REQUIRE(d.triggers.size() == 4);
  REQUIRE(d.triggers[0].event == TriggerEvent::kUsageAbove);
  REQUIRE(d.triggers[0].rate_limit_ms == 300'000);
  REQUIRE(d.triggers[0].actions[0].kind == TriggerAction::Kind::kSetCpu);
  REQUIRE(d.triggers[3].every_ms == 3'600'000);
}

TEST_CASE("Every shipped example parses, round-trips through the writer, and passes the XSD") {
  auto examples = Examples();
  REQUIRE(examples.size() >= 2);
  for (const auto& path : examples) {
    INFO(path);
    ParsedPolicy p = ParsePolicy(ReadFile(path));
    for (const auto& e : p.errors) FAIL(FormatPolicyError(e, path));
    std::string written = WritePolicy(p.document);
    ParsedPolicy again = ParsePolicy(written);
    for (const auto& e : again.errors) FAIL(FormatPolicyError(e, "written") << "\n" << written);
    PolicyDocument a = p.document, b = again.document;
    ClearSourceLines(a);
    ClearSourceLines(b);
    REQUIRE(a == b);
    REQUIRE(WritePolicy(b) == written);  // a fixed point

    std::string cmd = "xmllint --noout --schema " SHOAL_SOURCE_DIR "/policy/shoal-policy.xsd " + path + " 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    std::array<char, 512> buf{};
    std::string out;
    while (std::fgets(buf.data(), buf.size(), f)) out += buf.data();
    int status = pclose(f);
    INFO(out);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
}

TEST_CASE("Policy errors name line, column and element, and nothing is applied") {
  // Structure.
  REQUIRE_THAT(Errors("<shoal-policy>\n  <pipe name=\"up\" out=\"10Mbps\"/>\n</shoal-policy>"),
               Catch::Contains("doc:2:3: <pipe>: out: \"10Mbps\": unknown rate unit"));
  REQUIRE_THAT(Errors("<shoal-policy>\n <pipe name=\"up\" in=\"1Gbit\" colour=\"red\"/>\n</shoal-policy>"),
               Catch::Contains("doc:2:2: <pipe>: unknown attribute \"colour\""));
  REQUIRE_THAT(Errors("<shoal-policy>\n<pipes/>\n</shoal-policy>"),
               Catch::Contains("doc:2:1: <pipes>: unknown element inside <shoal-policy>"));
  REQUIRE_THAT(Errors("<shoal-policy>\n  <application name=\"x\">\n    <process cmdline=\"java [abc\"/>"
                      "\n  </application>\n</shoal-policy>"),
               Catch::Contains("doc:3:5: <process>: cmdline: glob \"java [abc\" has a '['"));
  REQUIRE_THAT(Errors("<shoal-policy>\n<application name=\"x\"/>\n</shoal-policy>"),
               Catch::Contains("has no <process> or <flow> rule"));
  REQUIRE_THAT(Errors("<shoal-policy>\n  <pipe name=\"a\" in=\"1Gbit\">\n</shoal-policy>"),
               Catch::Contains("not well-formed XML"));
  REQUIRE_THAT(Errors("<policy application=\"x\"/>"), Catch::Contains("must be <shoal-policy>"));
  REQUIRE_THAT(Errors(Doc("<application name=\"a\"><flow port=\"90000\"/></application>\n")),
               Catch::Contains("port=\"90000\""));
  REQUIRE_THAT(Errors(Doc("<application name=\"a\"><flow port=\"80\" address=\"10.0.0.0/40\"/></application>\n")),
               Catch::Contains("address=\"10.0.0.0/40\""));

  const std::string apps =
      "<application name=\"web\"><process name=\"nginx\"/></application>\n"
      "<application name=\"db\"><process name=\"postgres\"/></application>\n";
  // Meaning.
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"mail\"><cpu pool-percent=\"10%\"/></policy>\n")),
               Catch::Contains("doc:4:1: <policy>: no <application name=\"mail\">"));
  REQUIRE_THAT(Errors(Doc(apps + "<application name=\"web\"><process name=\"httpd\"/></application>\n")),
               Catch::Contains("doc:4:1: <application>: application \"web\" is already defined on line 2"));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><bandwidth pipe=\"wan\" direction=\"out\" "
                                 "rate=\"1Mbit\"/></policy>\n")),
               Catch::Contains("<bandwidth>: no <pipe name=\"wan\">"));
  REQUIRE_THAT(Errors(Doc("<pipe name=\"wan\" out=\"100Mbit\"/>\n" + apps +
                          "<policy application=\"web\"><bandwidth pipe=\"wan\" direction=\"out\" rate=\"80Mbit\"/></policy>\n"
                          "<policy application=\"db\"><bandwidth pipe=\"wan\" direction=\"out\" percent=\"30%\"/></policy>\n")),
               Catch::Contains("doc:2:1: <pipe>: policies book 110Mbit of pipe \"wan\" out, which carries 100Mbit"));
  REQUIRE_THAT(Errors(Doc("<application name=\"a\"><flow port=\"8000-8080\" protocol=\"tcp\"/></application>\n"
                          "<application name=\"b\"><flow port=\"8080\"/></application>\n")),
               Catch::Contains("doc:3:23: <flow>: overlaps the flow rule of application \"a\" on line 2"));
  REQUIRE_THAT(Errors(Doc(apps + "<application name=\"c\"><process name=\"nginx\"/></application>\n")),
               Catch::Contains("the same rule as application \"web\""));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><schedule timezone=\"Mars/Olympus\">"
                                 "<window days=\"daily\"><cpu cores=\"1\"/></window></schedule></policy>\n")),
               Catch::Contains("no such time zone"));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><schedule>\n"
                                 "<window days=\"mon-fri\" from=\"08:00\" to=\"18:00\"><cpu cores=\"2\"/></window>\n"
                                 "<window days=\"fri,sat\" from=\"17:00\" to=\"20:00\"><cpu cores=\"1\"/></window>\n"
                                 "</schedule></policy>\n")),
               Catch::Contains("doc:6:1: <window>: overlaps the window on line 5"));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><schedule><window days=\"mon\" from=\"18:00\" "
                                 "to=\"08:00\"><cpu cores=\"1\"/></window></schedule></policy>\n")),
               Catch::Contains("ends (08:00) before it starts (18:00)"));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><cpu pool-percent=\"40%\" cap=\"20%\"/></policy>\n")),
               Catch::Contains("cap 20 is below the share itself, 40"));
  REQUIRE_THAT(Errors(Doc(apps + "<policy application=\"web\"><cpu pool-percent=\"40%\" cores=\"2\"/></policy>\n")),
               Catch::Contains("exactly one of pool-percent, server-percent, cores"));
  REQUIRE_THAT(Errors(Doc(apps + "<trigger name=\"t\" event=\"timer\"><log message=\"x\"/></trigger>\n")),
               Catch::Contains("a timer trigger needs every="));
  REQUIRE_THAT(Errors(Doc(apps + "<trigger name=\"t\" event=\"node-failed\"><run script=\"page.sh\"/></trigger>\n")),
               Catch::Contains("script=\"page.sh\": give an absolute path"));
  REQUIRE_THAT(Errors(Doc(apps + "<trigger name=\"t\" event=\"node-failed\"/>\n")), Catch::Contains("has no action"));

  // Several mistakes are all reported, in document order.
  std::string many = Errors(Doc("<pipe name=\"a\"/>\n<pipe name=\"b\" in=\"x\"/>\n"));
  REQUIRE(many.find("doc:2:") < many.find("doc:3:"));
}

TEST_CASE("Policy parser: with the pool's capacity known, a booking larger than the pool is refused") {
  const std::string doc = Doc("<application name=\"db\"><process name=\"postgres\"/></application>\n"
                              "<policy application=\"db\">\n  <cpu cores=\"12\"/>\n</policy>\n");
  REQUIRE(ParsePolicy(doc).ok());  // offline, the pool is unknown
  ParseOptions options;
  options.pool_millicores = 8000;
  ParsedPolicy p = ParsePolicy(doc, options);
  REQUIRE_FALSE(p.ok());
  REQUIRE(FormatPolicyError(p.errors[0], "doc") == "doc:4:3: <cpu>: \"db\" books 12 cores; the whole pool has 8");
  options.pool_millicores = 16000;
  REQUIRE(ParsePolicy(doc, options).ok());
  // Failure adjustments too.
  const std::string failing = Doc("<application name=\"db\"><process name=\"postgres\"/></application>\n"
                                  "<policy application=\"db\"><cpu cores=\"2\"/>\n"
                                  "  <on-failure><cpu cores=\"20\"/></on-failure>\n</policy>\n");
  ParsedPolicy f = ParsePolicy(failing, options);
  REQUIRE_FALSE(f.ok());
  REQUIRE(FormatPolicyError(f.errors[0], "doc") == "doc:4:15: <cpu>: \"db\" books 20 cores; the whole pool has 16");
}

TEST_CASE("Policy parser refuses huge documents unread") {
  ParseOptions options;
  options.max_bytes = 100;
  ParsedPolicy p = ParsePolicy(std::string(200, ' '), options);
  REQUIRE_FALSE(p.ok());
  REQUIRE_THAT(p.errors[0].message, Catch::Contains("more than the 100 accepted"));
}
