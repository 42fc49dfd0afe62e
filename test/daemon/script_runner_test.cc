// Trigger scripts: real processes with the facts in their environment, ended
// with their children when they outlive the timeout.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "daemon/script_runner.h"
#include "test/support/temp_dir.h"

using namespace shoal;
using namespace std::chrono_literals;

namespace {

std::string Script(testing::TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.Write(name, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

// The user scripts run as in these tests: nobody when the test runs as
// root (as in CI), else the test's own user.
std::string ScriptUser() {
  if (::geteuid() == 0) return "nobody";
  return ::getpwuid(::geteuid())->pw_name;
}

// A permit for `dir`, made readable and writable for the scripts' user.
daemon::ScriptPermit PermitFor(testing::TempDir& dir) {
  ::chmod(dir.path.c_str(), 0777);
  auto permit = daemon::ScriptPermit::Make(dir.path.string(), ScriptUser());
  REQUIRE(permit.ok());
  return *permit;
}

template <typename Done>
void RunUntil(boost::asio::io_context& io, const Done& done) {
  while (!done()) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

TEST_CASE("Script runner: facts in the environment, exit codes, timeouts end the whole group") {
  testing::TempDir dir;
  boost::asio::io_context io;
  daemon::ScriptRunner runner(io, PermitFor(dir));
  const std::string out = dir.File("env.txt");
  std::string ok = Script(dir, "ok.sh", "echo \"$SHOAL_TRIGGER $SHOAL_APPLICATION\" > " + out + "; exit 3");
  std::optional<daemon::ScriptResult> result;
  REQUIRE(runner.Run(ok, {{"SHOAL_TRIGGER", "hot"}, {"SHOAL_APPLICATION", "web"}}, 5s,
                     [&](const daemon::ScriptResult& r) { result = r; })
              .ok());
  RunUntil(io, [&] { return result.has_value(); });
  REQUIRE(result->exit_code == 3);
  REQUIRE_FALSE(result->timed_out);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "hot web");

  // A script that hangs, with a child of its own: both end at the timeout.
  const std::string child_pid = dir.File("child.pid");
  std::string hang = Script(dir, "hang.sh", "sleep 30 & echo $! > " + child_pid + "; wait");
  result.reset();
  auto start = std::chrono::steady_clock::now();
  REQUIRE(runner.Run(hang, {}, 300ms, [&](const daemon::ScriptResult& r) { result = r; }).ok());
  RunUntil(io, [&] { return result.has_value(); });
  REQUIRE(result->timed_out);
  REQUIRE(std::chrono::steady_clock::now() - start < 5s);
  std::ifstream pid_in(child_pid);
  int pid = 0;
  pid_in >> pid;
  REQUIRE(pid > 0);
  // The sleep went with its script: gone, or a zombie waiting for its new parent to reap it.
  auto alive = [&] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_text, name, state;
    return static_cast<bool>(stat >> pid_text >> name >> state) && state != "Z";
  };
  for (int i = 0; i < 50 && alive(); ++i) ::usleep(20'000);
  REQUIRE_FALSE(alive());

  REQUIRE_THAT(runner.Run(dir.Write("plain.txt", "x"), {}, 1s, nullptr).error().message,
               Catch::Contains("cannot be run"));
  REQUIRE(runner.running() == 0);
}

TEST_CASE("Script runner: a pushed policy cannot run what this node does not allow, nor as root") {
  testing::TempDir allowed, elsewhere;
  boost::asio::io_context io;
  const std::string marker = allowed.File("ran.txt");
  const std::string body = "id -u > " + marker;
  std::string inside = Script(allowed, "inside.sh", body + "; ls /proc/self/fd | wc -l > " + allowed.File("fds.txt"));
  std::string outside = Script(elsewhere, "outside.sh", body);

  // Off by default: nothing runs, and the refusal says how to allow it.
  daemon::ScriptRunner off(io, daemon::ScriptPermit::None());
  REQUIRE_THAT(off.Run(inside, {}, 1s, nullptr).error().message,
               Catch::StartsWith("refused") && Catch::Contains("triggers.scripts_dir"));

  daemon::ScriptRunner runner(io, PermitFor(allowed));
  // Outside the directory, directly, through '..' or a link inside it.
  REQUIRE_THAT(runner.Run(outside, {}, 1s, nullptr).error().message, Catch::Contains("not inside"));
  REQUIRE_THAT(runner.Run(allowed.File("../") + elsewhere.path.filename().string() + "/outside.sh", {}, 1s, nullptr)
                   .error()
                   .message,
               Catch::Contains("not inside"));
  std::filesystem::create_symlink(outside, allowed.File("link.sh"));
  REQUIRE_THAT(runner.Run(allowed.File("link.sh"), {}, 1s, nullptr).error().message, Catch::Contains("not inside"));
  REQUIRE_THAT(runner.Run("/bin/sh", {}, 1s, nullptr).error().message, Catch::Contains("not inside"));
  // A script anyone may rewrite is refused too.
  std::string loose = Script(allowed, "loose.sh", body);
  ::chmod(loose.c_str(), 0777);
  REQUIRE_THAT(runner.Run(loose, {}, 1s, nullptr).error().message, Catch::Contains("writable by group or others"));
  REQUIRE_FALSE(std::filesystem::exists(marker));

  // The permitted one runs, as the configured user.
  std::optional<daemon::ScriptResult> result;
  REQUIRE(runner.Run(inside, {}, 5s, [&](const daemon::ScriptResult& r) { result = r; }).ok());
  RunUntil(io, [&] { return result.has_value(); });
  REQUIRE(result->exit_code == 0);
  std::ifstream in(marker);
  uid_t uid = 0;
  REQUIRE(static_cast<bool>(in >> uid));
  REQUIRE(uid == ::getpwnam(ScriptUser().c_str())->pw_uid);
  // Only stdin, stdout, stderr (and the descriptor ls reads /proc with):
  // none of the daemon's open files or sockets.
  std::ifstream fds(allowed.File("fds.txt"));
  int open_fds = 0;
  REQUIRE(static_cast<bool>(fds >> open_fds));
  REQUIRE(open_fds <= 4);
  if (::geteuid() == 0) REQUIRE(uid != 0);

  // The configuration cannot name root, a missing user or a missing directory.
  REQUIRE_THAT(daemon::ScriptPermit::Make(allowed.path.string(), "root").error().message, Catch::Contains("root"));
  REQUIRE_THAT(daemon::ScriptPermit::Make(allowed.path.string(), "no-such-user-xyz").error().message,
               Catch::Contains("not a user"));
  REQUIRE_THAT(daemon::ScriptPermit::Make(allowed.File("missing"), ScriptUser()).error().message,
               Catch::Contains("not a directory"));
}
