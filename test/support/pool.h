// A pool of real shoald processes on loopback for tests: a scratch
// directory with the pool key, a tokens file (one admin, one read-only
// token) and an admin key pair whose public key every node trusts, nodes started with their gossip and control ports and any extra
// flags, and shoalctl run against any of them. Every process is the test's
// own and is ended by its id when the pool goes out of scope.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/key_file.h"
#include "daemon/control/tokens.h"
#include "daemon/secret_file.h"
#include "gossip/admin_auth.h"
#include "test/support/process.h"
#include "test/support/temp_dir.h"

namespace shoal::testing {

struct TestNode {
  std::string name;
  std::string netns;              // where it runs ("": the test's own)
  std::string ip = "127.0.0.1";   // its gossip address
  uint16_t port = 0;     // gossip (UDP) and peer streams (TCP)
  uint16_t control = 0;  // control API (TCP)
  Child process;
};

class TestPool {
 public:
  TestPool() {
    REQUIRE(daemon::WriteNewKeyFile(key_).ok());
    auto admin = daemon::NewTokenLine("admin");
    auto read = daemon::NewTokenLine("read");
    REQUIRE(admin.ok());
    REQUIRE(read.ok());
    REQUIRE(daemon::AppendSecretLine(tokens_, *admin + *read, "tokens file").ok());
    admin_token_ = admin->substr(6, 64);
    read_token_ = read->substr(5, 64);
    auto admin_key = gossip::WriteNewAdminKey(admin_key_);
    REQUIRE(admin_key.ok());
    std::ofstream(admin_keys_) << *admin_key << " test admin\n";
  }

  // Node `i` runs inside network namespace `ns` (and shoalctl for it),
  // gossiping at `ip`; set before it starts.
  void Place(size_t i, std::string ns, std::string ip) {
    if (nodes_.size() <= i) nodes_.resize(i + 1);
    nodes_[i].netns = std::move(ns);
    nodes_[i].ip = std::move(ip);
  }
  // Nodes read `config` (a TOML file) for the keys no flag sets.
  void SetConfig(std::string config) { config_ = std::move(config); }

  // Starts node `i` (0-based; nodes 1.. seed with node 0) with `extra` flags.
  TestNode& Start(size_t i, std::vector<std::string> extra = {}) {
    if (nodes_.size() <= i) nodes_.resize(i + 1);
    TestNode& n = nodes_[i];
    if (n.port == 0) {
      n.name = fmt::format("node-{}", i);
      n.port = FreePort();
      n.control = FreePort();
    }
    std::vector<std::string> argv = {SHOALD_BINARY, "--config", config_, "--name", n.name, "--bind",
                                     fmt::format("{}:{}", n.ip, n.port), "--key-file", key_, "--state-dir",
                                     dir_.File(n.name), "--preset", "local", "--log-level", "warn", "--control",
                                     fmt::format("127.0.0.1:{}", n.control), "--tokens-file", tokens_,
                                     "--admin-keys-file", admin_keys_};
    if (i > 0) {
      argv.push_back("--seed");
      argv.push_back(fmt::format("{}:{}", nodes_[0].ip, nodes_[0].port));
    }
    for (auto& e : extra) argv.push_back(std::move(e));
    n.process = Spawn(argv, n.netns);
    return n;
  }

  TestNode& node(size_t i) { return nodes_[i]; }

  // shoalctl ARGS against node i's control API, with the admin token.
  Output Ctl(const std::string& args, size_t i) const {
    return RunCommand(fmt::format("SHOAL_ADMIN_KEY={} {}{} {} --node 127.0.0.1:{} --token {}", admin_key_,
                                  nodes_[i].netns.empty() ? "" : "ip netns exec " + nodes_[i].netns + " ",
                                  SHOALCTL_BINARY, args,
                                  nodes_[i].control, admin_token_));
  }
  // The same until `done(output)` holds, for at most `tries` x 100 ms.
  template <typename Done>
  Output CtlUntil(const std::string& args, size_t i, Done done, int tries = 100) const {
    Output out;
    for (int k = 0; k < tries; ++k) {
      out = Ctl(args, i);
      if (done(out)) break;
      ::usleep(100'000);
    }
    return out;
  }

  const TempDir& dir() const { return dir_; }
  const std::string& key() const { return key_; }
  const std::string& tokens() const { return tokens_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& read_token() const { return read_token_; }
  const std::string& admin_key() const { return admin_key_; }  // the admin's secret key

 private:
  TempDir dir_;
  std::string key_ = dir_.File("pool.key");
  std::string tokens_ = dir_.File("tokens");
  std::string admin_key_ = dir_.File("admin.key");
  std::string admin_keys_ = dir_.File("admin-keys");
  std::string admin_token_, read_token_;
  std::vector<TestNode> nodes_;
  std::string config_ = "/dev/null";
};

}  // namespace shoal::testing
