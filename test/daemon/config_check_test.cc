// Every configuration problem named at once, seeds by name, the advertised
// address chosen by the routing table, and `shoald --check-config`.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "daemon/addresses.h"
#include "daemon/config.h"
#include "daemon/config_check.h"
#include "daemon/key_file.h"
#include "daemon/secret_file.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::daemon;
using shoal::testing::RunCommand;
using shoal::testing::TempDir;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  AddErrorLines(out, Status(MakeError("{}", text)));
  return out;
}

bool Loopback(uint32_t ip) { return (ip >> 24) == 127; }

}  // namespace

TEST_CASE("config file: every mistake is named in one error, in the file's line order") {
  TempDir dir;
  const std::string path = dir.Write("bad.toml", R"(colour = 3
seeds = ["[::1]:7946", "db-1:99999", "db-2"]
[gossip]
period_ms = "x"
fanout = 99
[pipe.a]
destinations = ["10.0.0.0/33"]
)");
  DaemonConfig c;
  auto s = LoadConfigFile(path, true, false, c);
  REQUIRE_FALSE(s.ok());
  const auto lines = Lines(s.error().message);
  REQUIRE(lines.size() == 7);
  CHECK_THAT(lines[0], Catch::Contains("bad.toml:1") && Catch::Contains("'colour' is not a known key"));
  CHECK_THAT(lines[1], Catch::Contains("bad.toml:2") && Catch::Contains("IPv6"));
  CHECK_THAT(lines[2], Catch::Contains("bad.toml:2") && Catch::Contains("port '99999'"));
  CHECK_THAT(lines[3], Catch::Contains("bad.toml:4") && Catch::Contains("gossip.period_ms"));
  CHECK_THAT(lines[4], Catch::Contains("bad.toml:5") && Catch::Contains("gossip.fanout"));
  CHECK_THAT(lines[5], Catch::Contains("bad.toml:6") && Catch::Contains("[pipe.a] needs an interface"));
  CHECK_THAT(lines[6], Catch::Contains("bad.toml:7") && Catch::Contains("10.0.0.0/33"));
  // The good seed was kept, the others were not.
  REQUIRE(c.seeds == std::vector<std::string>{"db-2"});

  DaemonConfig d;
  d.node_name = "-x";
  d.cpu.enforcer = "cgroups";
  d.log_format = "xml";
  d.bandwidth.divide_after_ms = d.bandwidth.interval_ms;
  auto f = d.Finish();
  REQUIRE_FALSE(f.ok());
  CHECK(Lines(f.error().message).size() == 4);
}

TEST_CASE("seeds: host names and IPv4 addresses with or without a port, IPv6 refused with the reason") {
  CHECK(ParseSeed("db-1.example.org")->host == "db-1.example.org");
  CHECK(ParseSeed("db-1.example.org")->port == 7946);
  CHECK(ParseSeed("10.0.0.1:7000")->port == 7000);
  CHECK_THAT(ParseSeed("[2001:db8::1]:7946").error().message, Catch::Contains("carries IPv4 addresses"));
  CHECK_THAT(ParseSeed("2001:db8::1").error().message, Catch::Contains("IPv6"));
  CHECK_THAT(ParseSeed("host:0").error().message, Catch::Contains("1..65535"));
  CHECK_THAT(ParseSeed("host:x").error().message, Catch::Contains("1..65535"));
  CHECK_FALSE(ParseSeed("a b").ok());
  CHECK_FALSE(ParseSeed("").ok());

  auto local = ResolveSeed("localhost:7000");
  REQUIRE(local.ok());
  CHECK(Loopback(local->ip));
  CHECK(local->port == 7000);
  CHECK(ResolveSeed("127.0.0.9")->ToString() == "127.0.0.9:7946");
  CHECK_THAT(ResolveSeed("no-such-host.invalid").error().message, Catch::Contains("seed 'no-such-host.invalid'"));
}

TEST_CASE("advertise: the bind address, else the source address that routes to the seeds") {
  DaemonConfig c;
  c.bind = Endpoint{0, 7100};
  c.seeds = {"127.0.0.7:7000", "no-such-host.invalid"};
  auto s = ResolveAddresses(c);
  REQUIRE_FALSE(s.ok());  // the unresolvable seed is named...
  CHECK_THAT(s.error().message, Catch::Contains("no-such-host.invalid"));
  REQUIRE(c.seed_addresses.size() == 1);  // ...and the other one kept
  CHECK(Loopback(c.advertise.ip));        // the route to 127.0.0.7 leaves from loopback
  CHECK(c.advertise.port == 7100);

  DaemonConfig bound;
  bound.bind = Endpoint{0x7f000003, 7100};
  REQUIRE(ResolveAddresses(bound).ok());
  CHECK(bound.advertise == bound.bind);

  DaemonConfig given;
  given.advertise = Endpoint{0x0a000001, 7946};
  REQUIRE(ResolveAddresses(given).ok());
  CHECK(given.advertise.ToString() == "10.0.0.1:7946");
  CHECK(SourceAddressToward(0x7f000001).ok());
}

TEST_CASE("config check: the key, tokens, admin keys and state directory are checked without starting") {
  TempDir dir;
  DaemonConfig c;
  c.key_file = dir.File("pool.key");
  c.control.tokens_file = dir.File("tokens");
  c.control.admin_keys_file = dir.File("admin-keys");
  c.state_dir = dir.File("state/sub");
  auto check = CheckConfigFiles(c);
  REQUIRE(check.errors.size() == 1);
  CHECK_THAT(check.errors[0], Catch::Contains("key file") && Catch::Contains("pool.key"));
  CHECK(check.warnings.size() == 2);  // no tokens, no admin keys

  REQUIRE(WriteNewKeyFile(c.key_file).ok());
  REQUIRE(AppendSecretLine(c.control.tokens_file, "admin nonsense\n", "tokens file").ok());
  dir.Write("admin-keys", "not a key\n");
  dir.Write("state", "a file, not a directory");
  check = CheckConfigFiles(c);
  REQUIRE(check.errors.size() == 3);
  CHECK_THAT(check.errors[0], Catch::Contains("tokens:1"));
  CHECK_THAT(check.errors[1], Catch::Contains("admin-keys"));
  CHECK_THAT(check.errors[2], Catch::Contains("state_dir") && Catch::Contains("not a directory"));
  ::chmod(c.control.tokens_file.c_str(), 0644);
  CHECK_THAT(CheckConfigFiles(c).errors[0], Catch::Contains("chmod 600"));
}

TEST_CASE("shoald --check-config: every error and exit 2, or valid and exit 0, without starting") {
  TempDir dir;
  const std::string bad = dir.Write("bad.toml", "colour = 1\n[gossip]\nfanout = 0\n[cpu]\nenforcer = \"x\"\n");
  auto out = RunCommand(fmt::format("{} --check-config {}", SHOALD_BINARY, bad));
  CHECK(out.status == 2);
  CHECK_THAT(out.text, Catch::Contains("bad.toml:1: 'colour'") && Catch::Contains("bad.toml:3: 'gossip.fanout'") &&
                           Catch::Contains("cpu.enforcer 'x'"));

  REQUIRE(WriteNewKeyFile(dir.File("pool.key")).ok());
  const std::string good = dir.Write("good.toml", fmt::format("key_file = \"{}\"\nstate_dir = \"{}\"\nseeds = "
                                                              "[\"localhost:7000\"]\n[control]\ntokens_file = "
                                                              "\"{}\"\nadmin_keys_file = \"{}\"\n",
                                                              dir.File("pool.key"), dir.File("state"),
                                                              dir.File("tokens"), dir.File("admin-keys")));
  out = RunCommand(fmt::format("{} --check-config {}", SHOALD_BINARY, good));
  CHECK(out.status == 0);
  CHECK_THAT(out.text, Catch::Contains("is valid") && Catch::Contains("1 seed(s)") &&
                           Catch::Contains("warning: no tokens file"));
  CHECK_FALSE(std::filesystem::exists(dir.File("state")));  // nothing written

  out = RunCommand(fmt::format("{} --config {} --add-token admin", SHOALD_BINARY, good));
  CHECK(out.status == 0);
  CHECK((std::filesystem::status(dir.File("tokens")).permissions() & std::filesystem::perms::mask) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  out = RunCommand(fmt::format("{} --config {} --check-config", SHOALD_BINARY, good));
  CHECK(out.status == 0);
  CHECK_THAT(out.text, !Catch::Contains("no tokens file"));
}
