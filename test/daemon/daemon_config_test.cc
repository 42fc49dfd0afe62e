#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "daemon/boot_counter.h"
#include "daemon/config.h"
#include "daemon/key_file.h"
#include "daemon/host_facts.h"
#include "daemon/secret_file.h"
#include "daemon/control/tokens.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace shoal::daemon;

using shoal::testing::TempDir;

TEST_CASE("config file: keys, preset and gossip settings are read") {
  TempDir dir;
  const std::string path = dir.Write("shoald.toml", R"(
node_name = "web-1"
bind = "127.0.0.1:7000"
seeds = ["127.0.0.2:7000", "127.0.0.3"]
preset = "local"
[gossip]
fanout = 4
failure_timeout_ms = 2000
suspect_probe_ms = 250
probe_ms = 500
probe_timeout_ms = 800
)");
  DaemonConfig c;
  REQUIRE(LoadConfigFile(path, true, false, c).ok());
  REQUIRE(c.node_name == "web-1");
  REQUIRE(c.bind.ToString() == "127.0.0.1:7000");
  REQUIRE(c.seeds.size() == 2);
  REQUIRE(c.seeds[1] == "127.0.0.3");
  REQUIRE(c.gossip.period == gossip::GossipConfig::LocalTest().period);
  REQUIRE(c.gossip.fanout == 4);
  REQUIRE(c.gossip.failure_timeout == std::chrono::milliseconds(2000));
  REQUIRE(c.gossip.suspect_probe_interval == std::chrono::milliseconds(250));
  REQUIRE(c.gossip.probe_interval == std::chrono::milliseconds(500));
  REQUIRE(c.gossip.probe_timeout == std::chrono::milliseconds(800));
  REQUIRE(c.Finish().ok());
  c.gossip.probe_timeout = std::chrono::seconds(3);  // longer than the failure timeout
  REQUIRE_THAT(c.Finish().error().message, Catch::Contains("probe timeout 3000 ms"));
  c.gossip.probe_timeout = std::chrono::milliseconds(800);
  c.gossip.suspect_probe_interval = std::chrono::seconds(3);  // longer than the failure timeout
  REQUIRE_THAT(c.Finish().error().message, Catch::Contains("suspect probe interval 3000 ms"));
}

TEST_CASE("config file: every mistake is named with its line") {
  TempDir dir;
  auto error_of = [&](const std::string& text) {
    DaemonConfig c;
    auto s = LoadConfigFile(dir.Write("bad.toml", text), true, false, c);
    REQUIRE_FALSE(s.ok());
    return s.error().message;
  };
  CHECK_THAT(error_of("node_name = \"a\"\nfanout = 3\n"),
             Catch::Contains("bad.toml:2") && Catch::Contains("'fanout' is not a known key"));
  CHECK_THAT(error_of("[gossip]\nfanout = 99\n"),
             Catch::Contains("bad.toml:2") && Catch::Contains("gossip.fanout") &&
                 Catch::Contains("1..16"));
  CHECK_THAT(error_of("bind = \"300.1.1.1:5\"\n"), Catch::Contains("'bind'"));
  CHECK_THAT(error_of("seeds = \"1.2.3.4\"\n"), Catch::Contains("array"));
  CHECK_THAT(error_of("preset = \"wan\"\n"), Catch::Contains("lan, local"));
  CHECK_THAT(error_of("node_name = \n"), Catch::Contains("bad.toml:1"));
  CHECK_THAT(error_of("[cpu]\nsample_every_ms = 5\n"),
             Catch::Contains("bad.toml:2") && Catch::Contains("cpu.sample_every_ms") && Catch::Contains("100..60000"));
  CHECK_THAT(error_of("[cpu]\nquota = 1\n"), Catch::Contains("'cpu.quota' is not a known key"));
  CHECK_THAT(error_of("[control]\nlisten = 5\n"), Catch::Contains("'control.listen'"));
  CHECK_THAT(error_of("cpu = 3\n"), Catch::Contains("'cpu' must be a table"));
  CHECK_THAT(error_of("wall_clock_offset_ms = 999999999999999\n"),
             Catch::Contains("wall_clock_offset_ms") && Catch::Contains("must be an integer in"));
  DaemonConfig c;
  REQUIRE_FALSE(LoadConfigFile((dir.path / "missing.toml").string(), true, false, c).ok());
  REQUIRE(LoadConfigFile((dir.path / "missing.toml").string(), false, false, c).ok());
}

TEST_CASE("config file: [pipe.NAME] places a pipe on an interface, with its destinations") {
  TempDir dir;
  const std::string path = dir.Write("shoald.toml", R"(
node_name = "web-1"
advertise = "10.0.0.5:7946"
[pipe.uplink]
interface = "eth0"
exclude = ["10.0.0.0/8", "192.168.1.7"]
[pipe.backup-link]
interface = "eth1"
destinations = ["203.0.113.0/24"]
[bandwidth]
interval_ms = 200
divide_after_ms = 120
)");
  DaemonConfig c;
  REQUIRE(LoadConfigFile(path, true, false, c).ok());
  REQUIRE(c.Finish().ok());
  REQUIRE(c.bandwidth.pipes.size() == 2);
  const PipePlacement& up = c.bandwidth.pipes[0].pipe == "uplink" ? c.bandwidth.pipes[0] : c.bandwidth.pipes[1];
  const PipePlacement& backup = &up == &c.bandwidth.pipes[0] ? c.bandwidth.pipes[1] : c.bandwidth.pipes[0];
  CHECK(up.interface == "eth0");
  CHECK(up.Carries(0x08080808));         // 8.8.8.8: everywhere by default
  CHECK_FALSE(up.Carries(0x0a010203));   // 10.1.2.3: excluded
  CHECK_FALSE(up.Carries(0xc0a80107));   // 192.168.1.7: excluded, a /32
  CHECK(up.Carries(0xc0a80108));
  CHECK(backup.interface == "eth1");
  CHECK(backup.Carries(0xcb007105));     // 203.0.113.5
  CHECK_FALSE(backup.Carries(0x08080808));
  CHECK(c.bandwidth.interval_ms == 200);
  CHECK(c.bandwidth.divide_after_ms == 120);

  auto error_of = [&](const std::string& text) {
    DaemonConfig bad;
    auto s = LoadConfigFile(dir.Write("bad.toml", text), true, false, bad);
    if (s.ok()) {
      bad.node_name = "x";
      bad.advertise = Endpoint{0x7f000001, 7946};
      s = bad.Finish();
    }
    REQUIRE_FALSE(s.ok());
    return s.error().message;
  };
  CHECK_THAT(error_of("[pipe.uplink]\ndestinations = [\"10.0.0.0/8\"]\n"),
             Catch::Contains("bad.toml:1") && Catch::Contains("[pipe.uplink] needs an interface"));
  CHECK_THAT(error_of("[pipe.uplink]\ninterface = \"eth0/x\"\n"),
             Catch::Contains("bad.toml:2") && Catch::Contains("'pipe.uplink.interface'"));
  CHECK_THAT(error_of("[pipe.uplink]\ninterface = \"eth0\"\nexclude = [\"10.0.0.0/33\"]\n"),
             Catch::Contains("bad.toml:3") && Catch::Contains("10.0.0.0/33"));
  CHECK_THAT(error_of("[pipe.uplink]\ninterface = \"eth0\"\nrate = 5\n"),
             Catch::Contains("'pipe.uplink.rate' is not a known key"));
  CHECK_THAT(error_of("[pipe]\nuplink = \"eth0\"\n"), Catch::Contains("[pipe.uplink]"));
  CHECK_THAT(error_of("[bandwidth]\nenforcer = \"tc\"\n"), Catch::Contains("auto, htb, off"));
  CHECK_THAT(error_of("[cpu]\nplan_from = \"gossip\"\n"),
             Catch::Contains("cpu.plan_from: 'gossip' is not a way to plan: statuses, figures or pool-size"));
  CHECK_THAT(error_of("[cpu]\nfigures_at_nodes = 1\n"), Catch::Contains("'cpu.figures_at_nodes'"));
  CHECK_THAT(error_of("[pipe.a]\ninterface = \"eth0\"\n[pipe.b]\ninterface = \"eth0\"\n"),
             Catch::Contains("pipe.a and pipe.b both leave by eth0"));
  CHECK_THAT(error_of("[bandwidth]\ninterval_ms = 100\ndivide_after_ms = 100\n"),
             Catch::Contains("divide_after_ms (100) must be less than"));
}

TEST_CASE("config: the enforcer and the cgroup parent are checked") {
  DaemonConfig c;
  c.node_name = "x";
  REQUIRE(c.Finish().ok());  // a wildcard bind: the advertised address is chosen at start (addresses.h)
  c.cpu.enforcer = "cgroups";
  REQUIRE_THAT(c.Finish().error().message, Catch::Contains("cpu.enforcer 'cgroups'"));
  c.cpu.enforcer = "auto";
  c.cpu.cgroup_parent = "/abs";
  REQUIRE_THAT(c.Finish().error().message, Catch::Contains("cpu.cgroup_parent '/abs'"));
}

TEST_CASE("config: node names that would break paths, logs or keys are refused") {
  for (const std::string bad : {"web\n1", "../etc", "a/b", ".hidden", "-flag", "sp ace", "tab\t"}) {
    DaemonConfig c;
    c.node_name = bad;
    c.advertise = Endpoint{0x7f000001, 7946};
    INFO(bad);
    REQUIRE_THAT(c.Finish().error().message, Catch::Contains("may hold only letters, digits"));
  }
  DaemonConfig ok;
  ok.node_name = "web-1.rack_2";
  ok.advertise = Endpoint{0x7f000001, 7946};
  REQUIRE(ok.Finish().ok());
}

TEST_CASE("secret files: refused when others may read or write them, with the chmod that fixes it") {
  TempDir dir;
  const std::string path = dir.Write("tokens", "admin x\n");
  ::chmod(path.c_str(), 0644);
  REQUIRE_THAT(GuardSecretFile(path, "tokens file").error().message,
               Catch::Contains("tokens file " + path + " is readable by others (mode 0644)") &&
                   Catch::Contains("chmod 600 " + path));
  REQUIRE((std::filesystem::status(path).permissions() & std::filesystem::perms::mask) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write | std::filesystem::perms::group_read |
           std::filesystem::perms::others_read));
  REQUIRE(GuardSecretFile(path, "admin keys file", FileTrust::kPublic).ok());
  ::chmod(path.c_str(), 0666);
  REQUIRE_THAT(GuardSecretFile(path, "tokens file").error().message,
               Catch::Contains("tokens file " + path + " is writable by others (mode 0666)"));
  REQUIRE_THAT(GuardSecretFile(path, "admin keys file", FileTrust::kPublic).error().message,
               Catch::Contains("writable by others") && Catch::Contains("chmod 644"));
  ::chmod(path.c_str(), 0620);
  REQUIRE_THAT(GuardSecretFile(path, "key file").error().message, Catch::Contains("writable by others"));
  ::chmod(path.c_str(), 0600);
  REQUIRE(GuardSecretFile(path, "key file").ok());
  REQUIRE_THAT(GuardSecretFile(dir.path.string(), "key file").error().message, Catch::Contains("not a regular file"));
  REQUIRE_THAT(GuardSecretFile(dir.File("missing"), "key file").error().message, Catch::Contains("missing"));
}

TEST_CASE("secret files: a line appended to a new file makes it 0600, and an open file is refused") {
  TempDir dir;
  const std::string path = dir.File("tokens");
  ::umask(022);
  REQUIRE(AppendSecretLine(path, "admin a\n", "tokens file").ok());
  REQUIRE(AppendSecretLine(path, "read b\n", "tokens file").ok());
  REQUIRE((std::filesystem::status(path).permissions() & std::filesystem::perms::mask) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(all == "admin a\nread b\n");
  ::chmod(path.c_str(), 0640);
  REQUIRE_THAT(AppendSecretLine(path, "read c\n", "tokens file").error().message, Catch::Contains("chmod 600"));
}

TEST_CASE("key file: generated, loaded, rotated, and refused when broken") {
  TempDir dir;
  const std::string path = (dir.path / "pool.key").string();
  REQUIRE(WriteNewKeyFile(path).ok());
  REQUIRE_FALSE(WriteNewKeyFile(path).ok());  // never overwrites
  REQUIRE((std::filesystem::status(path).permissions() & std::filesystem::perms::group_read) ==
          std::filesystem::perms::none);
  auto ring = LoadKeyFile(path);
  REQUIRE(ring.ok());
  const uint32_t old_id = ring->primary_id();

  // Rotation: a new key first, the old one still accepted.
  const auto fresh = gossip::Keyring::Generate();
  const std::string old_hex = gossip::Keyring::FormatKey(*ring->Find(old_id));
  dir.Write("pool.key", gossip::Keyring::FormatKey(fresh) + "\n" + old_hex + "\n");
  REQUIRE(ReloadKeyFile(path, *ring).ok());
  REQUIRE(ring->primary_id() == gossip::Keyring::IdOf(fresh));
  REQUIRE(ring->Find(old_id) != nullptr);
  dir.Write("pool.key", gossip::Keyring::FormatKey(fresh) + "\n");
  REQUIRE(ReloadKeyFile(path, *ring).ok());
  REQUIRE(ring->Find(old_id) == nullptr);

  dir.Write("pool.key", "# comment\nnot-a-key\n");
  auto bad = LoadKeyFile(path);
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::Contains("pool.key:2"));
  REQUIRE_FALSE(ReloadKeyFile(path, *ring).ok());
  REQUIRE(ring->primary_id() == gossip::Keyring::IdOf(fresh));  // unchanged
}

TEST_CASE("boot numbers grow across restarts, even within one second") {
  TempDir dir;
  auto a = NextBoot(dir.path.string());
  auto b = NextBoot(dir.path.string());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(*b > *a);
}

TEST_CASE("host facts: read from /proc, refused without it") {
  auto f = ReadHostFacts();
  REQUIRE(f.ok());
  REQUIRE(f->cpus >= 1);
  REQUIRE(f->mem_total_kb > 0);
  TempDir dir;
  REQUIRE_FALSE(ReadHostFacts(dir.path.string()).ok());
}

TEST_CASE("the shipped example configuration is valid and matches the defaults") {
  DaemonConfig c;
  REQUIRE(LoadConfigFile(SHOAL_SOURCE_DIR "/daemon/shoald.toml.example", true, false, c).ok());
  const DaemonConfig defaults;
  const gossip::GossipConfig g = gossip::GossipConfig::Lan();
  REQUIRE(c.bind == defaults.bind);
  REQUIRE(c.key_file == defaults.key_file);
  REQUIRE(c.gossip.period == g.period);
  REQUIRE(c.gossip.fanout == g.fanout);
  REQUIRE(c.gossip.max_ttl == g.max_ttl);
  REQUIRE(c.gossip.sends == g.sends);
  REQUIRE(c.gossip.failure_timeout == g.failure_timeout);
  REQUIRE(c.gossip.suspect_timeout == g.suspect_timeout);
  REQUIRE(c.gossip.reap_after == g.reap_after);
  REQUIRE(c.cpu.capacity_millicores == defaults.cpu.capacity_millicores);
  REQUIRE(c.cpu.enforcer == defaults.cpu.enforcer);
  REQUIRE(c.cpu.cgroup_parent == defaults.cpu.cgroup_parent);
  REQUIRE(c.cpu.sample_every_ms == defaults.cpu.sample_every_ms);
  REQUIRE(c.cpu.full_scan_every == defaults.cpu.full_scan_every);
  REQUIRE(c.control.listen == defaults.control.listen);
  REQUIRE(c.control.tokens_file == defaults.control.tokens_file);
  REQUIRE(c.control.admin_keys_file == defaults.control.admin_keys_file);
  REQUIRE(c.triggers.scripts_dir == defaults.triggers.scripts_dir);
  REQUIRE(c.triggers.scripts_user == defaults.triggers.scripts_user);
}

TEST_CASE("tokens file: roles, constant-time checks, errors with their line") {
  auto admin = NewTokenLine("admin");
  auto read = NewTokenLine("read");
  REQUIRE(admin.ok());
  REQUIRE(read.ok());
  REQUIRE_FALSE(NewTokenLine("root").ok());
  auto tokens = Tokens::Parse("# shoal tokens\n\n" + *read + *admin, "tokens");
  REQUIRE(tokens.ok());
  REQUIRE(tokens->size() == 2);
  const std::string a = admin->substr(6, 64), r = read->substr(5, 64);
  REQUIRE(tokens->Check(a) == Role::kAdmin);
  REQUIRE(tokens->Check(r) == Role::kRead);
  REQUIRE_FALSE(tokens->Check(std::string(64, '0')).has_value());
  REQUIRE_FALSE(tokens->Check(a.substr(0, 63)).has_value());
  REQUIRE(tokens->First(Role::kAdmin) == a);
  REQUIRE(tokens->First(Role::kRead) == r);
  auto bad = Tokens::Parse(*admin + "admin 1234\n", "tokens");
  REQUIRE_FALSE(bad.ok());
  REQUIRE_THAT(bad.error().message, Catch::Contains("tokens:2:") && Catch::Contains("64 lower-case hex digits"));
  REQUIRE_FALSE(Tokens::Parse("superuser " + a + "\n", "t").ok());
  REQUIRE_FALSE(Tokens::Parse("admin " + a + " extra\n", "t").ok());
}
