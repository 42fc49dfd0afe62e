#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "daemon/boot_counter.h"
#include "daemon/config.h"
#include "daemon/key_file.h"
#include "daemon/node_facts.h"
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
)");
  DaemonConfig c;
  REQUIRE(LoadConfigFile(path, true, false, c).ok());
  REQUIRE(c.node_name == "web-1");
  REQUIRE(c.bind.ToString() == "127.0.0.1:7000");
  REQUIRE(c.seeds.size() == 2);
  REQUIRE(c.seeds[1].ToString() == "127.0.0.3:7946");
  REQUIRE(c.gossip.period == gossip::GossipConfig::LocalTest().period);
  REQUIRE(c.gossip.fanout == 4);
  REQUIRE(c.gossip.failure_timeout == std::chrono::milliseconds(2000));
  REQUIRE(c.Finish().ok());
  REQUIRE(c.advertise == c.bind);
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
  DaemonConfig c;
  REQUIRE_FALSE(LoadConfigFile((dir.path / "missing.toml").string(), true, false, c).ok());
  REQUIRE(LoadConfigFile((dir.path / "missing.toml").string(), false, false, c).ok());
}

TEST_CASE("config: a wildcard bind needs an advertised address") {
  DaemonConfig c;
  c.node_name = "x";
  auto s = c.Finish();
  REQUIRE_FALSE(s.ok());
  REQUIRE_THAT(s.error().message, Catch::Contains("advertise"));
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

TEST_CASE("node facts: read from /proc, round trip, junk refused") {
  auto f = ReadNodeFacts("n1");
  REQUIRE(f.ok());
  REQUIRE(f->cpus >= 1);
  REQUIRE(f->mem_total_kb > 0);
  auto back = DecodeNodeFacts(EncodeNodeFacts(*f));
  REQUIRE(back.ok());
  REQUIRE(*back == *f);
  REQUIRE_FALSE(DecodeNodeFacts("\xff\xff").ok());
  REQUIRE_FALSE(DecodeNodeFacts(EncodeNodeFacts(NodeFacts{})).ok());  // no name
  TempDir dir;
  REQUIRE_FALSE(ReadNodeFacts("n1", dir.path.string()).ok());
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
}
