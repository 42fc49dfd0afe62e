// shoalctl keyring on a real pool: a key installed on every node, made the
// primary, the old one removed, each node's key file rewritten so that a
// restarted node rejoins; unsafe changes, read tokens and unsigned changes
// refused.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "gossip/seal.h"
#include "test/support/pool.h"

using namespace shoal;
using testing::ReadAll;
using testing::Output;

namespace {

std::string KeyIdIn(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line) && (line.empty() || line[0] == '#')) {
  }
  auto key = gossip::Keyring::ParseKey(line);
  REQUIRE(key.ok());
  return fmt::format("{:08x}", gossip::Keyring::IdOf(*key));
}

// The table row of key `id`, its blanks collapsed: "1a2b3c4d 3 of 3 0 of 3"; "" without one.
std::string KeyRow(const std::string& text, const std::string& id) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(id)) continue;
    std::istringstream words(line);
    std::string out;
    for (std::string w; words >> w;) out += (out.empty() ? "" : " ") + w;
    return out;
  }
  return "";
}

}  // namespace

TEST_CASE("shoalctl keyring: install, use and remove a key on every node, kept across a restart") {
  testing::TestPool pool;
  for (size_t i = 0; i < 3; ++i) pool.Start(i, {"--enforcer", "off"});
  const std::string old_id = KeyIdIn(pool.key());
  Output list = pool.CtlUntil("keyring list", 0, [](const Output& o) { return o.text.find("3 node(s) asked") != std::string::npos; });
  INFO(list.text);
  REQUIRE(KeyRow(list.text, old_id) == old_id + " 3 of 3 3 of 3");

  const std::string fresh = pool.dir().File("new.key");
  REQUIRE(testing::RunCommand(fmt::format("{} --generate-key {}", SHOALD_BINARY, fresh)).status == 0);
  const std::string new_id = KeyIdIn(fresh);

  // Unsigned (no admin key) and read-only attempts change nothing.
  Output unsigned_install = testing::RunCommand(fmt::format("{} keyring install {} --node 127.0.0.1:{} --token {}",
                                                            SHOALCTL_BINARY, fresh, pool.node(0).control,
                                                            pool.admin_token()));
  INFO(unsigned_install.text);
  REQUIRE(unsigned_install.status == 1);
  REQUIRE_THAT(unsigned_install.text, Catch::Contains("not taken"));
  Output read_only = testing::RunCommand(fmt::format("{} keyring install {} --node 127.0.0.1:{} --token {}",
                                                     SHOALCTL_BINARY, fresh, pool.node(0).control, pool.read_token()));
  REQUIRE(read_only.status == 1);
  REQUIRE_THAT(read_only.text, Catch::Contains("needs an admin token"));
  REQUIRE_THAT(pool.Ctl("keyring list", 1).text, !Catch::Contains(new_id));

  // Using a key before every node holds it would cut the pool: refused.
  Output early = pool.Ctl("keyring use " + new_id, 1);
  REQUIRE(early.status == 1);
  REQUIRE_THAT(early.text, Catch::Contains("is not held by node-0, node-1, node-2: install it on every node first"));

  Output installed = pool.Ctl("keyring install " + fresh, 1);
  INFO(installed.text);
  REQUIRE(installed.status == 0);
  REQUIRE(KeyRow(installed.text, new_id) == new_id + " 3 of 3 0 of 3");  // held, not yet used
  REQUIRE(KeyRow(installed.text, old_id) == old_id + " 3 of 3 3 of 3");
  Output used = pool.Ctl("keyring use " + new_id, 2);
  INFO(used.text);
  REQUIRE(used.status == 0);
  REQUIRE(KeyRow(used.text, new_id) == new_id + " 3 of 3 3 of 3");
  REQUIRE(KeyRow(used.text, old_id) == old_id + " 3 of 3 0 of 3");
  Output primary_gone = pool.Ctl("keyring remove " + new_id, 0);
  REQUIRE(primary_gone.status == 1);
  REQUIRE_THAT(primary_gone.text, Catch::Contains("is the primary on node-0, node-1, node-2"));
  // The old key was a primary moments ago: datagrams sealed with it may still wait in a socket buffer.
  Output too_soon = pool.Ctl("keyring remove " + old_id, 0);
  REQUIRE(too_soon.status == 1);
  REQUIRE_THAT(too_soon.text, Catch::Contains("moments ago") && Catch::Contains("try again in a few seconds"));
  Output removed = pool.CtlUntil("keyring remove " + old_id, 0, [](const Output& o) { return o.status == 0; }, 50);
  INFO(removed.text);
  REQUIRE(removed.status == 0);
  REQUIRE_THAT(removed.text, !Catch::Contains(old_id));
  REQUIRE(KeyRow(removed.text, new_id) == new_id + " 3 of 3 3 of 3");

  // The key file (shared by this test's three nodes) now holds the new key alone.
  REQUIRE(KeyIdIn(pool.key()) == new_id);
  size_t keys = 0;
  std::istringstream lines(ReadAll(pool.key()));
  for (std::string line; std::getline(lines, line);) keys += !line.empty() && line[0] != '#';
  REQUIRE(keys == 1);
  // The pool still talks, under the new key; a restarted node reads it from its file and rejoins.
  REQUIRE(pool.node(2).process.Stop() == 0);
  pool.Start(2, {"--enforcer", "off"});
  Output status = pool.CtlUntil("status", 0, [](const Output& o) { return o.status == 0 && o.text.find("3 live, 0 failed") != std::string::npos; }, 100);
  INFO(status.text);
  REQUIRE_THAT(status.text, Catch::Contains("3 live, 0 failed"));
  Output events = pool.Ctl("events --type key.rotated", 0);
  REQUIRE_THAT(events.text, Catch::Contains("keyring use " + new_id));
}
