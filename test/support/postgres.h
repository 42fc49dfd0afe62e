// A PostgreSQL server of the test's own: a fresh cluster (initdb) in a
// scratch directory, listening on a free loopback port, started as a child
// of the test (as the postgres user when the test runs as root, which
// PostgreSQL refuses to run as) and shut down by its process id when the
// object goes away. Skips (with a warning) where PostgreSQL is not
// installed.
#pragma once

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "test/support/process.h"
#include "test/support/temp_dir.h"

namespace shoal::testing {

class TestPostgres {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

  static bool Available() { return std::filesystem::exists(std::string(kBin) + "/initdb"); }

  TestPostgres() {
    data_ = dir_.File("data");
    port_ = FreePort();
    std::vector<std::string> as_user;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      REQUIRE(pw != nullptr);
      std::filesystem::permissions(dir_.path, std::filesystem::perms::all);
      REQUIRE(::chown(dir_.path.c_str(), pw->pw_uid, pw->pw_gid) == 0);
      as_user = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
    }
    auto with_user = [&](std::vector<std::string> argv) {
      argv.insert(argv.begin(), as_user.begin(), as_user.end());
      return argv;
    };
    std::string cmd;
    for (const auto& a : with_user({std::string(kBin) + "/initdb", "-D", data_, "-U", "postgres", "--auth=trust",
                                    "--no-sync", "-E", "UTF8"})) {
      cmd += a + " ";
    }
    Output init = RunCommand(cmd);
    INFO(init.text);
    REQUIRE(init.status == 0);
    // In the foreground, so that the pid is the postmaster's own.
    server_ = Spawn(with_user({std::string(kBin) + "/postgres", "-D", data_, "-p", std::to_string(port_), "-k",
                               dir_.path.string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "logging_collector=on"}));  // logs in data/log
    for (int i = 0; i < 300; ++i) {
      if (RunCommand(fmt::format("{}/pg_isready -h 127.0.0.1 -p {} -U postgres", kBin, port_)).status == 0) return;
      ::usleep(50'000);
    }
    FAIL("PostgreSQL did not start on port " << port_);
  }

  ~TestPostgres() {
    if (server_.pid > 0) {
      ::kill(server_.pid, SIGQUIT);  // immediate shutdown: the postmaster ends its children
      ::waitpid(server_.pid, nullptr, 0);
      server_.pid = -1;
    }
  }

  std::string conninfo() const { return fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres", port_); }

 private:
  TempDir dir_;
  std::string data_;
  uint16_t port_ = 0;
  Child server_;
};

}  // namespace shoal::testing
